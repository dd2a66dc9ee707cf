"""Verified values (programme-rules.md, "Verified values (spot checks)"): whether a claimed
value stands against the checker's figure, the totals an evaluation reads once verified values
replace the claimed ones that differ, and the deduction taken from an indicator once.

A spot check counts only for a value the evaluation reads at its as-of date (the kind says
which: ``RuleKind.reads``) and only for a value that was approved (one the totals hold); a
ruleset without the part ignores spot checks altogether.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal

from .decimals import CONTEXT, ZERO
from .rules import RULE_KINDS, Context
from .texts import Figure, Rate, Text, gettext_noop
from .types import (
    CheckOutcome,
    CityInput,
    IndicatorOutcome,
    IndicatorRule,
    PeriodTotal,
    SpotCheckPart,
)


def stands(*, claimed: Decimal, verified: Decimal, tolerance: Decimal) -> bool:
    """``|V' - V| <= tau * V``, exactly (with ``V = 0`` only ``V' = 0`` stands)."""
    difference = abs(CONTEXT.subtract(verified, claimed))
    return difference <= CONTEXT.multiply(tolerance, claimed)


def _approved(period_total: Sequence[PeriodTotal], indicator: str, check: CheckOutcome) -> bool:
    period = check.period
    return any(
        t.indicator == indicator
        and t.year == period.year
        and t.granularity is period.granularity
        and period.number in t.numbers
        for t in period_total
    )


def checks_read(
    *,
    city: CityInput,
    rules: Sequence[IndicatorRule],
    part: SpotCheckPart | None,
    totals: Sequence[PeriodTotal],
    context: Context,
) -> dict[str, tuple[CheckOutcome, ...]]:
    """The spot checks of the city's values that each indicator reads at the as-of date, in
    period order: only values approved (held in ``totals``) of a period the indicator's kind
    reads. Nothing without the part."""
    if part is None:
        return {}
    kinds = {rule.indicator: RULE_KINDS[rule.kind] for rule in rules if rule.kind in RULE_KINDS}
    out: dict[str, list[CheckOutcome]] = defaultdict(list)
    for value in city.verified:
        kind = kinds.get(value.indicator)
        if kind is None or not kind.reads(value.period, context):
            continue
        check = CheckOutcome(
            period=value.period,
            claimed=value.claimed,
            verified=value.verified,
            stands=stands(claimed=value.claimed, verified=value.verified, tolerance=part.tolerance),
        )
        if _approved(totals, value.indicator, check):
            out[value.indicator].append(check)
    return {k: tuple(sorted(v, key=lambda c: c.period)) for k, v in out.items()}


def corrected(
    totals: Sequence[PeriodTotal], checks: Mapping[str, Sequence[CheckOutcome]]
) -> tuple[PeriodTotal, ...]:
    """``totals`` with every verified value that differs in place of its claimed value."""
    delta: dict[tuple[str, int, str], Decimal] = defaultdict(lambda: ZERO)
    for indicator, found in checks.items():
        for check in found:
            if not check.stands:
                key = (indicator, check.period.year, str(check.period.granularity))
                delta[key] = CONTEXT.add(
                    delta[key], CONTEXT.subtract(check.verified, check.claimed)
                )
    if not delta:
        return tuple(totals)
    return tuple(
        replace(t, total=CONTEXT.add(t.total, delta[key]))
        if (key := (t.indicator, t.year, str(t.granularity))) in delta
        else t
        for t in totals
    )


def with_checks(
    outcome: IndicatorOutcome, checks: Sequence[CheckOutcome], part: SpotCheckPart | None
) -> IndicatorOutcome:
    """The outcome with its spot checks and, for a discrepancy, the deduction taken once:
    ``points = max(0, points - d)``; status and attainment stay as ``r`` gives them."""
    if part is None or not checks:
        return outcome
    marked = replace(outcome, checks=tuple(checks))
    if not marked.discrepancy:
        return replace(
            marked, reason=f"{outcome.reason} {_english(checks, part, ZERO, outcome.points)}"
        )
    points = max(ZERO, CONTEXT.subtract(outcome.points, part.deduction))
    deducted = CONTEXT.subtract(outcome.points, points)
    return replace(
        marked,
        points=points,
        deducted=deducted,
        reason=f"{outcome.reason} {_english(checks, part, deducted, points)}",
    )


def _figure(value: Decimal) -> str:
    return f"{value.normalize(CONTEXT):f}"


def _english(
    checks: Sequence[CheckOutcome], part: SpotCheckPart, deducted: Decimal, points: Decimal
) -> str:
    """The sentence a stored reason ends with (the reader's language: ``check_texts``)."""
    found = "; ".join(
        f"{c.period.label} claimed {_figure(c.claimed)}, verified {_figure(c.verified)}"
        f" ({'stands' if c.stands else 'replaced'})"
        for c in checks
    )
    tolerance = f"{_figure(CONTEXT.multiply(part.tolerance, Decimal(100)))}%"
    if deducted or any(not c.stands for c in checks):
        return (
            f"Spot check (tolerance {tolerance}): {found}; discrepancy: the verified values "
            f"count, {deducted:.2f} points deducted, leaving {points:.2f}."
        )
    return f"Spot check (tolerance {tolerance}): {found}; the claimed values stand."


def check_texts(
    *,
    checks: Sequence[tuple[str, Decimal, Decimal, bool]],
    tolerance: Decimal,
    deducted: Decimal,
    points: Decimal,
) -> tuple[Text, ...]:
    """What a stored indicator result's spot checks say, in the reader's language: one
    sentence per check (``(period label, claimed, verified, stands)``), then the verdict."""
    texts: list[Text] = []
    for period, claimed, verified, held in checks:
        figures: dict[str, Figure] = {
            "period": period,
            "claimed": claimed,
            "verified": verified,
            "tolerance": Rate(tolerance),
        }
        if held:
            texts.append(
                Text(
                    "spot_check.stands",
                    gettext_noop(
                        "Spot check of %(period)s: claimed %(claimed)s, verified %(verified)s, "
                        "within the tolerance of %(tolerance)s: the claimed value stands."
                    ),
                    figures,
                )
            )
        else:
            texts.append(
                Text(
                    "spot_check.replaced",
                    gettext_noop(
                        "Spot check of %(period)s: claimed %(claimed)s, verified %(verified)s, "
                        "beyond the tolerance of %(tolerance)s: the verified value replaces it."
                    ),
                    figures,
                )
            )
    if any(not held for *_, held in checks):
        texts.append(
            Text(
                "spot_check.discrepancy",
                gettext_noop(
                    "Discrepancy: the verified values count; %(deducted)s points deducted, "
                    "leaving %(points)s."
                ),
                {"deducted": deducted, "points": points},
            )
        )
    return tuple(texts)
