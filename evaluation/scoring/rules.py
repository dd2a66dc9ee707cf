"""Rule kinds: one small class per kind of indicator, looked up by the name a ruleset stores.

Each kind turns a city's approved totals of one indicator into an ``IndicatorOutcome``
carrying every number it used and a sentence saying why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from decimal import Context as DecimalContext
from typing import ClassVar

from .periods import PARTS_PER_YEAR, Granularity, Period, year_parts
from .types import (
    IndicatorOutcome,
    IndicatorRule,
    PeriodTotal,
    ProgrammeSpec,
    Status,
    TargetSource,
)

# Working precision: far beyond any value the programme reports (16 digits), so every
# comparison that decides a status is exact.
PRECISION = 50

ONE = Decimal(1)
ZERO = Decimal(0)
FOUR_PLACES = Decimal("0.0001")
TWO_PLACES = Decimal("0.01")


_CONTEXT = DecimalContext(prec=PRECISION)


def quantize(value: Decimal, places: Decimal) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP, context=_CONTEXT)


# The growth shown and a partial attainment need far fewer digits than the exact comparison
# that decides "met"; 34 significant digits is IEEE decimal128.
_ROOT_CONTEXT = DecimalContext(prec=34)


def _root(ratio: Decimal, n: int) -> Decimal:
    """The n-th root of ``ratio`` (> 0): exact for n = 1, correctly rounded for n = 2, and
    for larger n Newton's iteration from a float estimate (each step doubles the correct
    digits: three steps take the ~16 of the estimate past the 34 kept)."""
    if n == 1:
        return ratio
    if n == 2:
        return ratio.sqrt(_ROOT_CONTEXT)
    ctx = _ROOT_CONTEXT
    root = Decimal(float(ratio) ** (1 / n))
    for _ in range(3):
        root = ctx.divide(
            ctx.add(ctx.multiply(n - 1, root), ctx.divide(ratio, ctx.power(root, n - 1))), n
        )
    return root


def show(value: Decimal) -> str:
    """A figure for a sentence: thousands separated, two decimals."""
    return f"{quantize(value, TWO_PLACES):,.2f}"


def show_percent(fraction: Decimal) -> str:
    return f"{quantize(fraction * 100, TWO_PLACES):,.2f}%"


@dataclass(frozen=True)
class Context:
    programme: ProgrammeSpec
    as_of: dt.date
    years_elapsed: int


@dataclass(frozen=True)
class AnnualValue:
    """The value of one year, or why there is none (``value is None``)."""

    year: int
    value: Decimal | None
    basis: str


def annual_value(year: int, totals: Iterable[PeriodTotal]) -> AnnualValue:
    """The approved annual figure, or the sum of 4 quarters, or of 12 months; else incomplete."""
    of_year = [t for t in totals if t.year == year]
    if not of_year:
        return AnnualValue(year, None, f"{year} has no approved figure")
    if len(of_year) > 1:
        # Refused as input before the rules run; the engine never guesses which figure is right.
        raise ValueError(f"{year} mixes granularities")
    (total,) = of_year
    granularity = total.granularity
    parts = PARTS_PER_YEAR[granularity]
    basis = "annual figure" if granularity is Granularity.YEAR else f"sum of {parts} {granularity}s"
    missing = [p.label for p in year_parts(year, granularity) if p.number not in total.numbers]
    if missing:
        return AnnualValue(
            year,
            None,
            f"{year} is incomplete: {parts - len(missing)} of {parts} {granularity}s approved"
            f" (missing {', '.join(missing)})",
        )
    return AnnualValue(year, total.total, basis)


_JUST_BELOW_ONE = Decimal("0.9999")


def shown_attainment(attainment: Decimal, *, met: bool) -> Decimal:
    """Attainment to 4 decimals, half-up; an indicator that is not met never shows 1.0000
    (its points may still round to the full weight)."""
    shown = quantize(attainment, FOUR_PLACES)
    return _JUST_BELOW_ONE if shown == ONE and not met else shown


def _points(weight: Decimal, attainment: Decimal) -> Decimal:
    with localcontext(prec=PRECISION):
        return quantize(weight * attainment, TWO_PLACES)


def _target_phrase(source: TargetSource, shown: str) -> str:
    which = "committed" if source is TargetSource.COMMITTED else "national floor"
    return f"the {which} target of {shown}"


class RuleKind:
    name: ClassVar[str]
    description: ClassVar[str]

    def assess(
        self,
        *,
        context: Context,
        rule: IndicatorRule,
        target: Decimal,
        source: TargetSource,
        totals: Sequence[PeriodTotal],
    ) -> IndicatorOutcome:
        raise NotImplementedError


class GrowthRule(RuleKind):
    """Average annual growth from the baseline year ``B`` to year ``B + n``."""

    name = "growth"
    description = "average annual growth from the baseline year, as a fraction"

    def assess(
        self,
        *,
        context: Context,
        rule: IndicatorRule,
        target: Decimal,
        source: TargetSource,
        totals: Sequence[PeriodTotal],
    ) -> IndicatorOutcome:
        n = context.years_elapsed
        baseline_year = context.programme.baseline_year
        base = annual_value(baseline_year, totals)
        final = annual_value(baseline_year + n, totals)
        shown_target = show_percent(target)

        def not_assessable(why: str) -> IndicatorOutcome:
            return IndicatorOutcome(
                indicator=rule.indicator,
                kind=self.name,
                status=Status.NOT_ASSESSABLE,
                weight=rule.weight,
                full_target=target,
                target_source=source,
                target=quantize(target, FOUR_PLACES),
                actual=None,
                attainment=ZERO,
                points=_points(rule.weight, ZERO),
                reason=(
                    f"Not assessable: {why}. "
                    f"0.00 of {show(rule.weight)} points; flagged for review."
                ),
                base_value=base.value,
                final_value=final.value,
            )

        if base.value is None:
            return not_assessable(f"baseline {base.basis}")
        if final.value is None:
            return not_assessable(final.basis)
        if base.value == ZERO:
            return not_assessable(
                f"the baseline value for {baseline_year} is 0, so growth cannot be computed"
            )

        v0, vn = base.value, final.value
        with localcontext(prec=PRECISION):
            ratio = vn / v0
            growth = _root(ratio, n) - ONE if ratio > ZERO else -ONE
            # Met is decided exactly, without roots: g >= t  <=>  Vn >= V0 * (1 + t) ** n.
            met = vn >= v0 * (ONE + target) ** n
            if met:
                attainment = ONE
            elif growth <= ZERO:
                attainment = ZERO
            else:
                attainment = min(ONE, growth / target)

        if met:
            status = Status.MET
        elif attainment > ZERO:
            status = Status.PARTIAL
        else:
            status = Status.MISSED
        points = _points(rule.weight, attainment)
        path = (
            f"{baseline_year}: {show(v0)} ({base.basis}) to "
            f"{baseline_year + n}: {show(vn)} ({final.basis})"
        )
        growth_text = (
            f"average annual growth over {n} year{'s' if n != 1 else ''} {show_percent(growth)}"
        )
        target_text = _target_phrase(source, shown_target)
        if status is Status.MET:
            verdict = f"reaches {target_text}"
        elif status is Status.PARTIAL:
            verdict = (
                f"is below {target_text}: attainment {shown_attainment(attainment, met=False)}"
            )
        else:
            verdict = f"is not above zero against {target_text}"
        return IndicatorOutcome(
            indicator=rule.indicator,
            kind=self.name,
            status=status,
            weight=rule.weight,
            full_target=target,
            target_source=source,
            target=quantize(target, FOUR_PLACES),
            actual=quantize(growth, FOUR_PLACES),
            attainment=shown_attainment(attainment, met=status is Status.MET),
            points=points,
            reason=(
                f"{path}; {growth_text} {verdict}. {show(points)} of {show(rule.weight)} points."
            ),
            base_value=v0,
            final_value=vn,
        )


class CumulativeRule(RuleKind):
    """Everything approved from 1 January after the baseline year up to the as-of date, against
    the target pro-rated to the years elapsed."""

    name = "cumulative"
    description = "total since the programme started, against a target pro-rated by years elapsed"

    def assess(
        self,
        *,
        context: Context,
        rule: IndicatorRule,
        target: Decimal,
        source: TargetSource,
        totals: Sequence[PeriodTotal],
    ) -> IndicatorOutcome:
        n = context.years_elapsed
        length = context.programme.construction_years
        start = Period(context.programme.baseline_year + 1, Granularity.YEAR).start
        # Totals hold only periods that ended by the as-of date; the baseline year is left out.
        counted = [t for t in totals if t.year > context.programme.baseline_year]
        periods = sum(len(t.numbers) for t in counted)
        with localcontext(prec=PRECISION):
            pro_rated = target * n / length
        window = f"{start.isoformat()} to {context.as_of.isoformat()}"
        target_text = (
            f"{_target_phrase(source, show(target))} pro-rated to {n} of {length} years, "
            f"{show(pro_rated)}"
        )
        if not counted:
            return IndicatorOutcome(
                indicator=rule.indicator,
                kind=self.name,
                status=Status.NOT_ASSESSABLE,
                weight=rule.weight,
                full_target=target,
                target_source=source,
                target=quantize(pro_rated, TWO_PLACES),
                actual=None,
                attainment=ZERO,
                points=_points(rule.weight, ZERO),
                reason=(
                    f"Not assessable: no approved value in periods from {window}. "
                    f"0.00 of {show(rule.weight)} points; flagged for review."
                ),
            )
        total = sum((t.total for t in counted), ZERO)
        with localcontext(prec=PRECISION):
            # C / (target * n / L), written so that no rounded intermediate enters it.
            attainment = min(ONE, total * length / (target * n))
        if attainment >= ONE:
            status = Status.MET
        elif attainment > ZERO:
            status = Status.PARTIAL
        else:
            status = Status.MISSED
        points = _points(rule.weight, attainment)
        verdict = {
            Status.MET: "reaches",
            Status.PARTIAL: f"attainment {shown_attainment(attainment, met=False)} of",
            Status.MISSED: "nothing towards",
        }[status]
        return IndicatorOutcome(
            indicator=rule.indicator,
            kind=self.name,
            status=status,
            weight=rule.weight,
            full_target=target,
            target_source=source,
            target=quantize(pro_rated, TWO_PLACES),
            actual=quantize(total, TWO_PLACES),
            attainment=shown_attainment(attainment, met=status is Status.MET),
            points=points,
            reason=(
                f"{show(total)} approved in {periods} period{'s' if periods != 1 else ''}"
                f" from {window}: {verdict} {target_text}. "
                f"{show(points)} of {show(rule.weight)} points."
            ),
            final_value=total,
        )


RULE_KINDS: dict[str, RuleKind] = {kind.name: kind for kind in (GrowthRule(), CumulativeRule())}
