"""What a draft ruleset would do: every city scored under the published ruleset and under the
draft, on the same inputs and as-of date, side by side, each difference traced to the rule
that caused it. Pure; nothing here is a run and nothing is stored.

Since both sides read the same inputs, every difference comes from the rules: an indicator's
points move with its own rule (its weight, its kind, or its floor where the city is held to the
floor rather than a committed target), and a grade or an amount that moves without the score
moving comes from the grade bands (where a grade starts, what it releases).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from .decimals import decimal_sum
from .engine import (
    NothingToEvaluate,
    check_ruleset,
    check_targets,
    evaluate_city,
    years_elapsed,
)
from .rules import Context
from .totals import city_totals
from .types import (
    CityInput,
    CityOutcome,
    GradeBand,
    IndicatorRule,
    ProgrammeSpec,
    RulesetSpec,
    Status,
    TargetSource,
)

FieldValue = str | Decimal | None


@dataclass(frozen=True, slots=True)
class RuleChange:
    """One rule the draft changes: ``subject`` an indicator's code or a grade, ``field`` what
    of it (``kind``, ``floor``, ``weight``; ``min_score``, ``release_share``; or ``added`` /
    ``removed`` for a whole rule), its published and draft values."""

    subject: str
    field: str
    before: FieldValue
    after: FieldValue


@dataclass(frozen=True, slots=True)
class IndicatorDifference:
    """An indicator whose points differ, and the rule changes that caused it."""

    indicator: str
    points_before: Decimal | None
    points_after: Decimal | None
    status_before: Status | None
    status_after: Status | None
    causes: tuple[RuleChange, ...]


@dataclass(frozen=True, slots=True)
class CityComparison:
    """A city under both rulesets. ``refused`` lists why the draft (or the published ruleset)
    cannot score it (a committed target below a new floor): a run would fail on it."""

    city: str
    before: CityOutcome | None
    after: CityOutcome | None
    refused_before: tuple[str, ...]
    refused_after: tuple[str, ...]
    differences: tuple[IndicatorDifference, ...]
    band_causes: tuple[RuleChange, ...]

    @property
    def grade_changed(self) -> bool:
        return self._both and self.before.grade != self.after.grade  # type: ignore[union-attr]

    @property
    def changed(self) -> bool:
        if not self._both:
            return bool(self.refused_before or self.refused_after)
        before, after = self.before, self.after
        assert before is not None and after is not None
        return (before.score, before.grade, before.amount) != (
            after.score,
            after.grade,
            after.amount,
        )

    @property
    def _both(self) -> bool:
        return self.before is not None and self.after is not None


@dataclass(frozen=True, slots=True)
class RulesetComparison:
    programme: str
    published: str
    draft: str
    as_of: dt.date
    years_elapsed: int
    rule_changes: tuple[RuleChange, ...]
    cities: tuple[CityComparison, ...]

    @property
    def total_before(self) -> Decimal:
        return decimal_sum(c.before.amount for c in self.cities if c.before is not None)

    @property
    def total_after(self) -> Decimal:
        return decimal_sum(c.after.amount for c in self.cities if c.after is not None)

    @property
    def grade_changes(self) -> tuple[CityComparison, ...]:
        return tuple(c for c in self.cities if c.grade_changed)


def _indicator_fields(rule: IndicatorRule) -> dict[str, FieldValue]:
    return {"kind": rule.kind, "floor": rule.floor, "weight": rule.weight}


def _band_fields(band: GradeBand) -> dict[str, FieldValue]:
    return {"min_score": band.min_score, "release_share": band.release_share}


def rule_changes(published: RulesetSpec, draft: RulesetSpec) -> tuple[RuleChange, ...]:
    """Every rule the draft changes, indicators in the draft's order then grades."""
    changes: list[RuleChange] = []
    groups = (
        (
            {r.indicator: _indicator_fields(r) for r in published.indicators},
            {r.indicator: _indicator_fields(r) for r in draft.indicators},
        ),
        (
            {b.grade: _band_fields(b) for b in published.bands},
            {b.grade: _band_fields(b) for b in draft.bands},
        ),
    )
    for before, after in groups:
        for subject in [*after, *(s for s in before if s not in after)]:
            if subject not in before:
                changes.append(RuleChange(subject, "added", None, None))
            elif subject not in after:
                changes.append(RuleChange(subject, "removed", None, None))
            else:
                changes += [
                    RuleChange(subject, name, value, after[subject][name])
                    for name, value in before[subject].items()
                    if after[subject][name] != value
                ]
    return tuple(changes)


def _score(
    city: CityInput,
    ruleset: RulesetSpec,
    context: Context,
) -> tuple[CityOutcome | None, tuple[str, ...]]:
    totals, problems = city_totals(
        city.observations,
        city.totals,
        as_of=context.as_of,
        from_year=context.programme.baseline_year,
    )
    problems += check_targets(city, ruleset)
    if problems:
        return None, tuple(problems)
    return evaluate_city(city, totals, ruleset, context), ()


def _causes(
    indicator: str,
    sources: set[TargetSource],
    changes: Sequence[RuleChange],
) -> tuple[RuleChange, ...]:
    """The changes of ``indicator``'s rule that can move its points: a floor only where the
    city is held to the floor."""
    return tuple(
        change
        for change in changes
        if change.subject == indicator
        and (change.field != "floor" or TargetSource.FLOOR in sources)
    )


def _compare_city(
    city: CityInput,
    published: RulesetSpec,
    draft: RulesetSpec,
    context: Context,
    changes: Sequence[RuleChange],
) -> CityComparison:
    before, refused_before = _score(city, published, context)
    after, refused_after = _score(city, draft, context)
    differences: list[IndicatorDifference] = []
    band_causes: tuple[RuleChange, ...] = ()
    if before is not None and after is not None:
        old = {o.indicator: o for o in before.indicators}
        new = {o.indicator: o for o in after.indicators}
        for indicator in [*new, *(i for i in old if i not in new)]:
            was, now = old.get(indicator), new.get(indicator)
            if was is not None and now is not None and was.points == now.points:
                continue
            sources = {o.target_source for o in (was, now) if o is not None}
            differences.append(
                IndicatorDifference(
                    indicator=indicator,
                    points_before=was.points if was is not None else None,
                    points_after=now.points if now is not None else None,
                    status_before=was.status if was is not None else None,
                    status_after=now.status if now is not None else None,
                    causes=_causes(indicator, sources, changes),
                )
            )
        if (before.grade, before.amount) != (after.grade, after.amount):
            grades = {before.grade, after.grade}
            band_causes = tuple(
                c
                for c in changes
                if c.field in ("min_score", "release_share", "added", "removed")
                and c.subject in grades
            )
            if not band_causes and before.score == after.score:
                band_causes = tuple(c for c in changes if c.field in ("min_score", "release_share"))
    return CityComparison(
        city=city.city,
        before=before,
        after=after,
        refused_before=refused_before,
        refused_after=refused_after,
        differences=tuple(differences),
        band_causes=band_causes,
    )


def compare_rulesets(
    *,
    programme: ProgrammeSpec,
    published: RulesetSpec,
    draft: RulesetSpec,
    as_of: dt.date,
    cities: Sequence[CityInput],
) -> RulesetComparison:
    """Every city scored under ``published`` and under ``draft`` as of ``as_of``. Raises
    ``RulesetError`` when the draft is not a ruleset an evaluation could use and
    ``NothingToEvaluate`` when no construction year has ended; a city either ruleset cannot
    score is kept with the reasons."""
    check_ruleset(draft)
    check_ruleset(published)
    n = years_elapsed(programme, as_of)
    if n == 0:
        raise NothingToEvaluate(
            [f"no construction year of programme {programme.code} has ended by {as_of}"]
        )
    context = Context(programme=programme, as_of=as_of, years_elapsed=n)
    changes = rule_changes(published, draft)
    return RulesetComparison(
        programme=programme.code,
        published=published.label,
        draft=draft.label,
        as_of=as_of,
        years_elapsed=n,
        rule_changes=changes,
        cities=tuple(
            _compare_city(city, published, draft, context, changes)
            for city in sorted(cities, key=lambda c: c.city)
        ),
    )
