"""Rule kinds: one small class per kind of indicator, looked up by the name a ruleset stores.

Each kind turns a city's approved totals of one indicator into an ``IndicatorOutcome``
carrying every number it used and a sentence saying why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Context as DecimalContext
from decimal import Decimal
from functools import lru_cache
from typing import ClassVar

from .decimals import (
    CONTEXT,
    FOUR_PLACES,
    HUNDRED,
    ONE,
    TWO_PLACES,
    ZERO,
    quantize,
)
from .periods import PARTS_PER_YEAR, Granularity, Period, year_parts
from .types import (
    IndicatorOutcome,
    IndicatorRule,
    PeriodTotal,
    ProgrammeSpec,
    Status,
    TargetSource,
)

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
    return f"{quantize(CONTEXT.multiply(fraction, HUNDRED), TWO_PLACES):,.2f}%"


# Figures that repeat across cities (weights, floors, targets) are formatted once, in bounded
# caches so a long-lived worker does not grow. Equal decimals share a cache entry whatever
# their trailing zeros, which the rounding makes harmless; but -0 == 0 too, and "-0.00" is
# not "0.00", so the sign is part of every key: a text never depends on what a worker
# happened to score before.


@lru_cache(maxsize=4096)
def _fixed_text(value: Decimal, signed: bool, percent: bool) -> str:
    return show_percent(value) if percent else show(value)


def _show_fixed(value: Decimal) -> str:
    return _fixed_text(value, value.is_signed(), False)


def _show_percent_fixed(value: Decimal) -> str:
    return _fixed_text(value, value.is_signed(), True)


@dataclass(frozen=True, slots=True)
class Context:
    programme: ProgrammeSpec
    as_of: dt.date
    years_elapsed: int


@dataclass(frozen=True, slots=True)
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
    if not _ALL_NUMBERS[granularity] <= total.numbers:
        missing = [p.label for p in year_parts(year, granularity) if p.number not in total.numbers]
        return AnnualValue(
            year,
            None,
            f"{year} is incomplete: {parts - len(missing)} of {parts} {granularity}s approved"
            f" (missing {', '.join(missing)})",
        )
    return AnnualValue(year, total.total, _BASIS[granularity])


_ALL_NUMBERS = {
    granularity: frozenset(p.number for p in year_parts(2000, granularity))
    for granularity in PARTS_PER_YEAR
}
_BASIS = {
    granularity: "annual figure"
    if granularity is Granularity.YEAR
    else f"sum of {parts} {granularity}s"
    for granularity, parts in PARTS_PER_YEAR.items()
}


_JUST_BELOW_ONE = Decimal("0.9999")


def shown_attainment(attainment: Decimal, *, met: bool) -> Decimal:
    """Attainment to 4 decimals, half-up; an indicator that is not met never shows 1.0000
    (its points may still round to the full weight)."""
    shown = quantize(attainment, FOUR_PLACES)
    return _JUST_BELOW_ONE if shown == ONE and not met else shown


def _points(weight: Decimal, attainment: Decimal) -> Decimal:
    return quantize(CONTEXT.multiply(weight, attainment), TWO_PLACES)


def _target_phrase(source: TargetSource, shown: str) -> str:
    which = "committed" if source is TargetSource.COMMITTED else "national floor"
    return f"the {which} target of {shown}"


@lru_cache(maxsize=4096)
def _quantized(value: Decimal, signed: bool, places: Decimal) -> Decimal:
    return quantize(value, places)


def _quantize_fixed(value: Decimal, places: Decimal) -> Decimal:
    return _quantized(value, value.is_signed(), places)


class RuleKind:
    name: ClassVar[str]
    description: ClassVar[str]
    # The decimals its target and actual are stored and shown with, everywhere.
    places: ClassVar[Decimal]

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
    places = FOUR_PLACES

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
        shown_weight = _show_fixed(rule.weight)

        def not_assessable(why: str) -> IndicatorOutcome:
            return IndicatorOutcome(
                indicator=rule.indicator,
                kind=self.name,
                status=Status.NOT_ASSESSABLE,
                weight=rule.weight,
                full_target=target,
                target_source=source,
                target=_quantize_fixed(target, self.places),
                actual=None,
                attainment=ZERO,
                points=_points(rule.weight, ZERO),
                reason=f"Not assessable: {why}. 0.00 of {shown_weight} points; flagged for review.",
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
        ctx = CONTEXT
        ratio = ctx.divide(vn, v0)
        growth = ctx.subtract(_root(ratio, n), ONE) if ratio > ZERO else -ONE
        # Met is decided exactly, without roots: g >= t  <=>  Vn >= V0 * (1 + t) ** n.
        met = vn >= ctx.multiply(v0, ctx.power(ctx.add(ONE, target), n))
        if met:
            attainment = ONE
        elif growth <= ZERO:
            attainment = ZERO
        else:
            attainment = min(ONE, ctx.divide(growth, target))

        if met:
            status = Status.MET
        elif attainment > ZERO:
            status = Status.PARTIAL
        else:
            status = Status.MISSED
        points = _points(rule.weight, attainment)
        target_text = _target_phrase(source, _show_percent_fixed(target))
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
            target=_quantize_fixed(target, self.places),
            actual=quantize(growth, self.places),
            attainment=shown_attainment(attainment, met=status is Status.MET),
            points=points,
            reason=(
                f"{baseline_year}: {show(v0)} ({base.basis}) to "
                f"{baseline_year + n}: {show(vn)} ({final.basis}); "
                f"average annual growth over {n} year{'s' if n != 1 else ''} "
                f"{show_percent(growth)} {verdict}. {show(points)} of {shown_weight} points."
            ),
            base_value=v0,
            final_value=vn,
        )


@lru_cache(maxsize=4096)
def _cumulative_target(
    context: Context, target: Decimal, signed: bool, source: TargetSource
) -> tuple[Decimal, str, str]:
    """The target pro-rated to the years elapsed, its phrase, and the window counted: the same
    for every city with the same target (``signed`` keeps -0 apart from 0)."""
    n = context.years_elapsed
    length = context.programme.construction_years
    pro_rated = CONTEXT.divide(CONTEXT.multiply(target, n), length)
    start = Period(context.programme.baseline_year + 1, Granularity.YEAR).start
    return (
        pro_rated,
        f"{_target_phrase(source, show(target))} pro-rated to {n} of {length} years, "
        f"{show(pro_rated)}",
        f"{start.isoformat()} to {context.as_of.isoformat()}",
    )


class CumulativeRule(RuleKind):
    """Everything approved from 1 January after the baseline year up to the as-of date, against
    the target pro-rated to the years elapsed."""

    name = "cumulative"
    description = "total since the programme started, against a target pro-rated by years elapsed"
    places = TWO_PLACES

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
        pro_rated, target_text, window = _cumulative_target(
            context, target, target.is_signed(), source
        )
        shown_weight = _show_fixed(rule.weight)
        # Totals hold only periods that ended by the as-of date; the baseline year is left out.
        counted = [t for t in totals if t.year > context.programme.baseline_year]
        if not counted:
            return IndicatorOutcome(
                indicator=rule.indicator,
                kind=self.name,
                status=Status.NOT_ASSESSABLE,
                weight=rule.weight,
                full_target=target,
                target_source=source,
                target=_quantize_fixed(pro_rated, self.places),
                actual=None,
                attainment=ZERO,
                points=_points(rule.weight, ZERO),
                reason=(
                    f"Not assessable: no approved value in periods from {window}. "
                    f"0.00 of {shown_weight} points; flagged for review."
                ),
            )
        periods = 0
        total = ZERO
        for counted_total in counted:
            periods += len(counted_total.numbers)
            total = CONTEXT.add(total, counted_total.total)
        # C / (target * n / L), written so that no rounded intermediate enters it.
        attainment = min(
            ONE,
            CONTEXT.divide(CONTEXT.multiply(total, length), CONTEXT.multiply(target, n)),
        )
        if attainment >= ONE:
            status = Status.MET
            verdict = "reaches"
        elif attainment > ZERO:
            status = Status.PARTIAL
            verdict = f"attainment {shown_attainment(attainment, met=False)} of"
        else:
            status = Status.MISSED
            verdict = "nothing towards"
        points = _points(rule.weight, attainment)
        return IndicatorOutcome(
            indicator=rule.indicator,
            kind=self.name,
            status=status,
            weight=rule.weight,
            full_target=target,
            target_source=source,
            target=_quantize_fixed(pro_rated, self.places),
            actual=quantize(total, self.places),
            attainment=shown_attainment(attainment, met=status is Status.MET),
            points=points,
            reason=(
                f"{show(total)} approved in {periods} period{'s' if periods != 1 else ''}"
                f" from {window}: {verdict} {target_text}. "
                f"{show(points)} of {shown_weight} points."
            ),
            final_value=total,
        )


RULE_KINDS: dict[str, RuleKind] = {kind.name: kind for kind in (GrowthRule(), CumulativeRule())}
