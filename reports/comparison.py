"""Two runs side by side: which cities changed grade or amount, and what caused it (a changed
input of an indicator, or a changed rule)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evaluation.models import CityResult, EvaluationRun
from evaluation.selectors import run_results
from evaluation.vocabulary import TargetSource


@dataclass
class CityChange:
    city: str
    score_before: Any
    score_after: Any
    grade_before: str
    grade_after: str
    amount_before: Any
    amount_after: Any
    causes: list[str] = field(default_factory=list)


@dataclass
class Comparison:
    before: EvaluationRun
    after: EvaluationRun
    same_inputs: bool
    rule_changes: list[str]
    changed: list[CityChange]
    only_before: list[str]
    only_after: list[str]


def _rules(run: EvaluationRun) -> dict[str, tuple[Any, ...]]:
    rules: dict[str, tuple[Any, ...]] = {
        f"{r.indicator.code}": (r.kind, r.floor, r.weight)
        for r in run.ruleset.rules.select_related("indicator")
    }
    rules |= {f"grade {b.grade}": (b.min_score, b.release_share) for b in run.ruleset.bands.all()}
    return rules


def runs_compare(*, before: EvaluationRun, after: EvaluationRun) -> Comparison:
    rules_before, rules_after = _rules(before), _rules(after)
    rule_changes = [
        f"{name}: {rules_before.get(name)} → {rules_after.get(name)}"
        for name in sorted(set(rules_before) | set(rules_after))
        if rules_before.get(name) != rules_after.get(name)
    ]
    old: dict[str, CityResult] = {r.participation.city.code: r for r in run_results(run=before)}
    new: dict[str, CityResult] = {r.participation.city.code: r for r in run_results(run=after)}
    changed = []
    for code in sorted(set(old) & set(new)):
        a, b = old[code], new[code]
        if (a.grade, a.decision.recommended_amount) == (b.grade, b.decision.recommended_amount):
            continue
        row = CityChange(
            city=str(b.participation.city),
            score_before=a.score,
            score_after=b.score,
            grade_before=a.grade,
            grade_after=b.grade,
            amount_before=a.decision.recommended_amount,
            amount_after=b.decision.recommended_amount,
        )
        earlier = {i.indicator.code: i for i in a.indicator_results.all()}
        for item in b.indicator_results.all():
            was = earlier.get(item.indicator.code)
            if was is None:
                row.causes.append(f"{item.indicator.code}: new in this ruleset")
                continue

            # A committed target is the city's input; the national floor is a rule.
            def inputs(r: Any) -> tuple[Any, ...]:
                committed = r.full_target if r.target_source == TargetSource.COMMITTED else None
                return (r.base_value, r.final_value, committed)

            def rules(r: Any) -> tuple[Any, ...]:
                floor = r.full_target if r.target_source == TargetSource.FLOOR else None
                return (r.weight, r.kind, floor)

            if was.points != item.points:
                why = (
                    " and ".join(
                        reason
                        for reason, changed in (
                            ("inputs changed", inputs(was) != inputs(item)),
                            ("rule changed", rules(was) != rules(item)),
                        )
                        if changed
                    )
                    or "rule changed"
                )
                row.causes.append(
                    f"{item.indicator.code}: {was.points} → {item.points} points ({why}: "
                    f"{was.status} → {item.status}; actual {was.actual} → {item.actual})"
                )
        if not row.causes and rule_changes:
            row.causes.append("grade bands or release tiers changed")
        changed.append(row)
    return Comparison(
        before=before,
        after=after,
        same_inputs=before.input_digest == after.input_digest,
        rule_changes=rule_changes,
        changed=changed,
        only_before=sorted(set(old) - set(new)),
        only_after=sorted(set(new) - set(old)),
    )
