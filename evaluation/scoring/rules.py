"""Rule kinds: one small class per kind of indicator, looked up by the name a ruleset stores.

Each kind turns a city's approved totals of one indicator into an ``IndicatorOutcome``
carrying every number it used and a sentence saying why, and carries everything else that is
particular to it, as Django's password validators carry their own ``validate()``, code and
help text: which target counts and which one is refused, how its target and actual are
written, what a city still needs by a date and the path to the target, and its words (its
label, its reasons and what the portal says of it) as ``Text`` for the layer that shows them.
Nothing outside the scoring core names a kind (``tests/test_rule_kinds.py``): adding one is a
class here, its entry in ``RULE_KINDS`` and its tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from decimal import Context as DecimalContext
from fractions import Fraction
from functools import lru_cache
from typing import ClassVar, Protocol

from .budget import (
    BUDGET_INDICATOR,
    Planned,
    counted_expenditure,
    expenditure_problems,
    planned_problem,
    planned_spending,
    spent,
    whole_plan,
)
from .decimals import (
    CONTEXT,
    FOUR_PLACES,
    HUNDRED,
    ONE,
    TWO_PLACES,
    ZERO,
    decimal_sum,
    quantize,
    round_fraction,
    round_up,
)
from .pace import (
    Projection,
    covered,
    fen,
    half_width,
    monthly_averages,
    months_of,
    unprojected,
    window,
    yearly,
)
from .panel import DROP_FROM, panel_of, score_problems
from .periods import PARTS_PER_YEAR, Granularity, Period, year_parts
from .texts import Figure, Rate, Refusal, Text, gettext_noop
from .totals import last_ended_month, summarise
from .types import (
    CityInput,
    IndicatorOutcome,
    IndicatorRule,
    Observation,
    PathPoint,
    PeriodTotal,
    ProgrammeSpec,
    Status,
    StillNeeded,
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


class StoredOutcome(Protocol):
    """An indicator's outcome read back to be worded: an ``IndicatorOutcome`` or a run's stored
    row of it (``status`` and ``target_source`` by their values)."""

    @property
    def status(self) -> str: ...
    @property
    def target_source(self) -> str: ...
    @property
    def weight(self) -> Decimal: ...
    @property
    def full_target(self) -> Decimal: ...
    @property
    def target(self) -> Decimal: ...
    @property
    def actual(self) -> Decimal | None: ...
    @property
    def attainment(self) -> Decimal: ...
    @property
    def points(self) -> Decimal: ...
    @property
    def base_value(self) -> Decimal | None: ...
    @property
    def final_value(self) -> Decimal | None: ...


@dataclass(frozen=True, slots=True)
class Measure:
    """How a figure of an outcome is written: a fraction written as a percentage (``rate``) or
    a number in the indicator's unit, kept to ``places`` decimals in a run and its document."""

    rate: bool
    places: int

    @property
    def quantum(self) -> Decimal:
        """One unit of the last decimal kept (``Decimal("0.0001")`` for 4 places)."""
        return _QUANTA[self.places]

    def figure(self, value: Decimal | None) -> Figure:
        """``value`` as a figure of a ``Text``."""
        if value is None:
            return None
        return Rate(value) if self.rate else value


_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(9)}
RATE = Measure(rate=True, places=4)
COUNT = Measure(rate=False, places=2)


@dataclass(frozen=True, slots=True)
class Progress:
    """What the city's page says of an indicator: its target, what the approved figure beside
    it is (``approved``: the label of ``StillNeeded.so_far``), and what is still needed."""

    target: Text
    approved: Text
    need: Text


BELOW_FLOOR = Refusal(
    code="below_floor",
    in_field=gettext_noop("below the national floor %(floor)s"),
    in_row=gettext_noop("committed target %(target)s is below the national floor %(floor)s"),
)

_SOURCES = {
    TargetSource.COMMITTED: Text("committed", gettext_noop("the committed target")),
    TargetSource.FLOOR: Text("floor", gettext_noop("the national floor")),
}

# The portal's chart draws its path with the arithmetic it always had (28 digits, half-even to
# the cent); the chart is a picture beside the figures, none of which it changes.
_CHART = DecimalContext(prec=28, rounding=ROUND_HALF_EVEN)
_CENT = Decimal("0.01")


def points_text(outcome: StoredOutcome) -> Text:
    """The sentence every reason ends with: the points of the weight."""
    return Text(
        "points",
        gettext_noop("%(points)s of %(weight)s points."),
        {"points": outcome.points, "weight": outcome.weight},
    )


AS_APPROVED = Text(
    "forecast.as_approved", gettext_noop("The figures approved so far, not projected.")
)


def on_target_text(need: StillNeeded) -> Text:
    """What the portal says of an indicator already on target for the date."""
    return Text("on_target", gettext_noop("On target for %(date)s."), {"date": need.by})


def _per_year(totals: Iterable[PeriodTotal]) -> dict[int, Decimal]:
    per_year: dict[int, Decimal] = {}
    for total in totals:
        per_year[total.year] = _CHART.add(per_year.get(total.year, ZERO), total.total)
    return per_year


class RuleKind:
    """What is particular to one kind of indicator. A subclass names itself (``name``, the
    value a ruleset stores), says how its figures are written and implements ``assess``,
    ``still_needed``, ``path``, ``reason`` and ``progress``; the targets' rules below hold for
    every kind unless it says otherwise."""

    name: ClassVar[str]
    description: ClassVar[str]
    label: ClassVar[str]
    """The kind in the programme's words (the vocabulary's label), marked for the catalogue."""
    target_measure: ClassVar[Measure]
    actual_measure: ClassVar[Measure]
    running_total: ClassVar[bool] = False
    """Its figures add up over the periods: a figure lowered after it was submitted lowers a
    running total, which the reporting workflow flags for the reviewer."""
    reported: ClassVar[bool] = True
    """Cities report its figures period by period (the report forms, the metrics files); a
    kind scored from other inputs (the money spent, the experts' scores) is not."""
    own_indicator: ClassVar[str | None] = None
    """The one indicator a rule of this kind scores, for a kind that scores a part of the
    ruleset rather than any indicator (``budget_execution``)."""
    fixed_floor: ClassVar[Decimal | None] = None
    """The floor every rule of the kind has, for a kind that takes none from the ruleset."""
    per_task: ClassVar[bool] = False
    """It scores the ruleset's tasks (one rule per task of a city), never a rule of its own."""

    # Targets

    def target(
        self, *, rule: IndicatorRule, committed: Decimal | None, city: CityInput
    ) -> tuple[Decimal, TargetSource]:
        """The target an evaluation holds the city to: its committed target when it gave one
        (``committed``, from ``city.targets``), else the national floor."""
        if committed is not None:
            return committed, TargetSource.COMMITTED
        return rule.floor, TargetSource.FLOOR

    def target_places(self, unit_places: int) -> int:
        """The decimals a committed target is given with: a rate to its measure's places, a
        count or amount to its unit's (``Indicator.decimal_places``)."""
        return self.target_measure.places if self.target_measure.rate else unit_places

    def target_refusal(self, *, target: Decimal, floor: Decimal) -> Refusal | None:
        """Why a committed target cannot stand, or None: never below the national floor ("以上"
        includes the floor itself)."""
        return None if target >= floor else BELOW_FLOOR

    def floor_words(self, floor: Decimal) -> Text:
        """The national floor as a refusal names it."""
        return Text("floor", "%(floor)s", {"floor": f"{floor.normalize(CONTEXT):f}"})

    # Scoring

    def input_problems(
        self, *, context: Context, rule: IndicatorRule, city: CityInput
    ) -> list[str]:
        """Why the city's inputs cannot be scored by ``rule`` (an input error that fails the
        run, naming the city), beyond the values' own rules checked for every kind."""
        return []

    def reads(self, period: Period, context: Context) -> bool:
        """Whether ``assess`` reads a reported value of ``period`` at ``context.as_of`` (a spot
        check of it can mark a discrepancy only then). A kind scored from other inputs than
        reported values reads none."""
        return False

    def assess(
        self,
        *,
        context: Context,
        rule: IndicatorRule,
        target: Decimal,
        source: TargetSource,
        totals: Sequence[PeriodTotal],
        city: CityInput,
    ) -> IndicatorOutcome:
        """The outcome of ``rule`` for ``city`` against ``target``; ``totals`` are the city's
        approved totals of the indicator up to the as-of date."""
        raise NotImplementedError

    def still_needed(
        self,
        *,
        context: Context,
        indicator: str,
        target: Decimal,
        totals: Sequence[PeriodTotal],
        places: int,
    ) -> StillNeeded:
        """What the indicator still needs to be met at ``context.as_of`` (an evaluation date),
        to the unit's ``places``."""
        raise NotImplementedError

    def path(
        self, *, programme: ProgrammeSpec, target: Decimal, totals: Sequence[PeriodTotal]
    ) -> tuple[PathPoint, ...]:
        """The approved figures year by year against the path to the target."""
        raise NotImplementedError

    # Words

    def reason(self, outcome: StoredOutcome, context: Context) -> tuple[Text, ...]:
        """Why the outcome is what it is, as the sentences of a stored outcome's figures: what
        the stored English reason says, for the reader's language."""
        raise NotImplementedError

    def progress(self, *, target: Decimal, need: StillNeeded) -> Progress:
        """What the city's page says of the indicator."""
        raise NotImplementedError

    def source_text(self, outcome: StoredOutcome) -> Text:
        """Which target the outcome was held to, as its reasons name it."""
        return _SOURCES[TargetSource(outcome.target_source)]

    # Forecast

    def project(
        self, *, context: Context, indicator: str, observations: Sequence[Observation]
    ) -> Projection:
        """The indicator's approved figures (``observations``, one by one) projected to
        ``context.as_of``, an evaluation date still to come: what the kind's ``assess`` would
        read then if the months still missing went on at the pace so far, with a range. A kind
        that says nothing of its pace is forecast on the figures as they stand."""
        totals, _ = summarise(
            observations, as_of=context.as_of, from_year=context.programme.baseline_year
        )
        return unprojected(indicator, totals, AS_APPROVED)

    # Monitoring between evaluations

    def monitor(
        self,
        *,
        programme: ProgrammeSpec,
        as_of: dt.date,
        target: Decimal,
        totals: Sequence[PeriodTotal],
    ) -> tuple[Decimal, Decimal] | None:
        """What the approved figures give by ``as_of`` and where the path to ``target`` stands
        then (the dual monitoring's attainment so far), or None when it cannot be said yet
        (or the kind's figures are not reported)."""
        return None


class GrowthRule(RuleKind):
    """Average annual growth from the baseline year ``B`` to year ``B + n``."""

    name = "growth"
    description = "average annual growth from the baseline year, as a fraction"
    label = gettext_noop("growth (average annual growth from the baseline year)")
    target_measure = actual_measure = RATE

    def reads(self, period: Period, context: Context) -> bool:
        """The values of the baseline year ``B`` and of year ``B + n``: its two annual values."""
        baseline = context.programme.baseline_year
        return period.year in (baseline, baseline + context.years_elapsed)

    def assess(
        self,
        *,
        context: Context,
        rule: IndicatorRule,
        target: Decimal,
        source: TargetSource,
        totals: Sequence[PeriodTotal],
        city: CityInput,
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
                target=_quantize_fixed(target, self.target_measure.quantum),
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
            target=_quantize_fixed(target, self.target_measure.quantum),
            actual=quantize(growth, self.actual_measure.quantum),
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

    def project(
        self, *, context: Context, indicator: str, observations: Sequence[Observation]
    ) -> Projection:
        """The year ``B + n`` projected from its months approved so far: their total against the
        same months of the baseline year (or of the latest earlier year that has them month by
        month), scaled to that year's whole; without such a year, the year-to-date run rate
        (the total over the months, times 12). With nothing of the year approved yet, the
        latest year since the baseline that has a figure, taken whole in the same way, grown on
        at the average growth from the baseline to it. The range is the spread of the monthly
        values the projection rests on over the months it fills in (``pace.half_width``)."""
        programme, as_of = context.programme, context.as_of
        baseline = programme.baseline_year
        year = baseline + context.years_elapsed
        end = last_ended_month(as_of)
        counted = [
            o
            for o in observations
            if baseline <= o.period.year and (o.period.year, o.period.last_month) <= end
        ]
        totals, _ = summarise(counted, as_of=as_of, from_year=baseline)
        base = annual_value(baseline, totals).value
        figures: dict[str, Figure] = {"year": year, "base_year": baseline}
        if base is None or base == ZERO:
            return unprojected(
                indicator,
                totals,
                Text(
                    "growth.forecast_no_baseline",
                    gettext_noop(
                        "Cannot be forecast: the baseline year %(base_year)s has no complete "
                        "approved figure above zero."
                    ),
                    figures,
                ),
            )
        of_year = [o for o in counted if o.period.year == year]
        so_far = decimal_sum(o.value for o in of_year)
        others = tuple(t for t in totals if t.year != year)
        if len({month for _, month in covered(of_year)}) == 12:
            return Projection(
                indicator=indicator,
                likely=tuple(totals),
                low=tuple(totals),
                high=tuple(totals),
                figure=so_far,
                low_figure=so_far,
                high_figure=so_far,
                so_far=so_far,
                months_left=0,
                basis=Text(
                    "growth.forecast_complete",
                    gettext_noop("Every month of %(year)s is approved: %(figure)s."),
                    {**figures, "figure": so_far},
                ),
                extra_year=year,
            )
        if of_year:
            likely, basis = self._whole_year(counted, baseline, year, totals)
            samples = monthly_averages(of_year)
            months_left = 12 - len(covered(of_year))
        else:
            # Nothing of the year yet: the latest year since the baseline with a figure, taken
            # whole (projected if it is not complete), grown on at the average growth from the
            # baseline to it.
            reference = next(
                (
                    y
                    for y in range(year - 1, baseline, -1)
                    if any(o.period.year == y for o in counted)
                ),
                None,
            )
            if reference is None:
                return unprojected(
                    indicator,
                    totals,
                    Text(
                        "growth.forecast_nothing_yet",
                        gettext_noop(
                            "Cannot be forecast yet: nothing of %(year)s or of any year since "
                            "the baseline year is approved."
                        ),
                        figures,
                    ),
                )
            of_reference = [o for o in counted if o.period.year == reference]
            value, how = self._whole_year(counted, baseline, reference, totals)
            factor = _root(CONTEXT.divide(value, base), reference - baseline) if value else ZERO
            likely = CONTEXT.multiply(value, CONTEXT.power(factor, year - reference))
            samples = monthly_averages(of_reference)
            months_left = 12 * (year - reference) + 12 - len(covered(of_reference))
            basis = Text(
                "growth.forecast_carried_on",
                gettext_noop(
                    "Nothing of %(year)s is approved yet: %(reference_year)s (%(how)s) grown on "
                    "at the average growth since %(base_year)s, %(growth)s a year, gives "
                    "%(figure)s."
                ),
                {
                    **figures,
                    "reference_year": reference,
                    "how": how,
                    "growth": Rate(CONTEXT.subtract(factor, ONE)),
                    "figure": fen(likely),
                },
            )
        spread = half_width(samples, months_left)
        low = max(so_far, CONTEXT.subtract(likely, spread))
        high = CONTEXT.add(likely, spread)
        return Projection(
            indicator=indicator,
            likely=others + yearly(indicator, {year: likely}),
            low=others + yearly(indicator, {year: low}),
            high=others + yearly(indicator, {year: high}),
            figure=fen(likely),
            low_figure=fen(low),
            high_figure=fen(high),
            so_far=so_far,
            months_left=months_left,
            basis=basis,
            extra_year=year,
        )

    def _whole_year(
        self,
        counted: Sequence[Observation],
        baseline: int,
        year: int,
        totals: Sequence[PeriodTotal],
    ) -> tuple[Decimal, Text]:
        """``year``'s whole value from its approved periods (at least one), and how it was
        found: all of it approved; or its months against the same months of the baseline year
        (or of the latest earlier year that has them period by period), scaled to that year's
        whole; or the run rate, its total over its months times 12."""
        of_year = [o for o in counted if o.period.year == year]
        so_far = decimal_sum(o.value for o in of_year)
        months = {month for _, month in covered(of_year)}
        figures: dict[str, Figure] = {"year": year, "so_far": so_far, "months": len(months)}
        if len(months) == 12:
            return so_far, Text(
                "growth.forecast_complete",
                gettext_noop("Every month of %(year)s is approved: %(figure)s."),
                {**figures, "figure": so_far},
            )
        found = self._same_months(counted, baseline, year, months, totals)
        if found is not None:
            reference, same, whole = found
            likely = CONTEXT.multiply(so_far, CONTEXT.divide(whole, same))
            return likely, Text(
                "growth.forecast_same_months",
                gettext_noop(
                    "%(so_far)s in %(months)s months of %(year)s against %(same)s in the same "
                    "months of %(reference_year)s, whose whole year was %(whole)s: %(figure)s in "
                    "%(year)s at that rate."
                ),
                {
                    **figures,
                    "same": same,
                    "reference_year": reference,
                    "whole": whole,
                    "figure": fen(likely),
                },
            )
        likely = CONTEXT.divide(CONTEXT.multiply(so_far, 12), len(months))
        return likely, Text(
            "growth.forecast_run_rate",
            gettext_noop(
                "%(so_far)s in %(months)s months of %(year)s: %(figure)s in the whole year at "
                "that rate (no earlier year has those months approved one by one)."
            ),
            {**figures, "figure": fen(likely)},
        )

    @staticmethod
    def _same_months(
        counted: Sequence[Observation],
        baseline: int,
        year: int,
        months: set[int],
        totals: Sequence[PeriodTotal],
    ) -> tuple[int, Decimal, Decimal] | None:
        """The year to compare ``months`` of ``year`` with, its total of those months and of
        its whole year: the baseline year if it has them period by period, else the latest
        earlier year that has (never one whose same months add up to zero)."""
        for reference in (baseline, *range(year - 1, baseline, -1)):
            whole = annual_value(reference, totals).value
            if whole is None:
                continue
            inside = [
                o
                for o in counted
                if o.period.year == reference and {m for _, m in months_of(o)} <= months
            ]
            same = decimal_sum(o.value for o in inside)
            if {m for _, m in covered(inside)} == months and same > ZERO:
                return reference, same, whole
        return None

    def monitor(
        self,
        *,
        programme: ProgrammeSpec,
        as_of: dt.date,
        target: Decimal,
        totals: Sequence[PeriodTotal],
    ) -> tuple[Decimal, Decimal] | None:
        """The annual value of the last construction year ended against ``V0 x (1 + t)^k``."""
        k = min(programme.construction_years, _last_year_ended(as_of) - programme.baseline_year)
        if k <= 0:
            return None
        base = annual_value(programme.baseline_year, totals).value
        latest = annual_value(programme.baseline_year + k, totals).value
        if base is None or base == ZERO or latest is None:
            return None
        return latest, CONTEXT.multiply(base, CONTEXT.power(CONTEXT.add(ONE, target), k))

    def floor_words(self, floor: Decimal) -> Text:
        """A growth floor also as a percentage: ``0.3 (30% growth)``."""
        percent = CONTEXT.multiply(floor, HUNDRED).quantize(ONE, rounding=ROUND_HALF_EVEN)
        return Text(
            "growth.floor",
            gettext_noop("%(floor)s (%(percent)s%% growth)"),
            {"floor": f"{floor.normalize(CONTEXT):f}", "percent": f"{percent:f}"},
        )

    def still_needed(
        self,
        *,
        context: Context,
        indicator: str,
        target: Decimal,
        totals: Sequence[PeriodTotal],
        places: int,
    ) -> StillNeeded:
        """The annual value the target year ``B + n`` must reach, ``V0 x (1 + t)^n``, rounded up
        to the unit's precision, and how much of it the approved figures of that year still
        lack."""
        programme, n, by = context.programme, context.years_elapsed, context.as_of
        target_year = programme.baseline_year + max(n, 1)
        so_far = decimal_sum(t.total for t in totals if t.year == target_year)
        base = annual_value(programme.baseline_year, totals).value
        if n == 0 or base is None or base == ZERO:
            return StillNeeded(indicator, self.name, by, target_year, None, so_far, None)
        growth = CONTEXT.power(CONTEXT.add(ONE, target), n)
        required = round_up(CONTEXT.multiply(base, growth), places)
        needed = max(ZERO, CONTEXT.subtract(required, so_far))
        return StillNeeded(indicator, self.name, by, target_year, required, so_far, needed)

    def path(
        self, *, programme: ProgrammeSpec, target: Decimal, totals: Sequence[PeriodTotal]
    ) -> tuple[PathPoint, ...]:
        """Each year's figure from the baseline year on against ``V0 x (1 + t)^k``."""
        per_year = _per_year(totals)
        baseline = programme.baseline_year
        base = per_year.get(baseline)
        grown = _CHART.add(ONE, target)
        return tuple(
            PathPoint(
                year,
                per_year.get(year),
                _CHART.multiply(base, _CHART.power(grown, year - baseline)).quantize(
                    _CENT, context=_CHART
                )
                if base
                else None,
            )
            for year in range(baseline, baseline + programme.construction_years + 1)
        )

    def reason(self, outcome: StoredOutcome, context: Context) -> tuple[Text, ...]:
        baseline_year = context.programme.baseline_year
        years = context.years_elapsed
        figures: dict[str, Figure] = {
            "base_year": baseline_year,
            "final_year": baseline_year + years,
            "base": outcome.base_value,
            "final": outcome.final_value,
            "years": years,
            "actual": self.actual_measure.figure(outcome.actual),
            "target": self.target_measure.figure(outcome.target),
            "source": self.source_text(outcome),
            "attainment": Rate(outcome.attainment),
            "points": outcome.points,
            "weight": outcome.weight,
        }
        if outcome.status == Status.NOT_ASSESSABLE:
            if outcome.base_value is None:
                why = Text(
                    "growth.baseline_incomplete",
                    gettext_noop("the baseline year %(base_year)s is incomplete"),
                    figures,
                )
            elif outcome.final_value is None:
                why = Text(
                    "growth.final_incomplete",
                    gettext_noop("the year %(final_year)s is incomplete"),
                    figures,
                )
            else:
                why = Text(
                    "growth.baseline_zero",
                    gettext_noop(
                        "the baseline value for %(base_year)s is 0, so growth cannot be computed"
                    ),
                    figures,
                )
            return (
                Text(
                    "growth.not_assessable",
                    gettext_noop(
                        "Not assessable: %(why)s. 0.00 of %(weight)s points; flagged for review."
                    ),
                    {**figures, "why": why},
                ),
            )
        if outcome.status == Status.MET:
            text = Text(
                "growth.met",
                gettext_noop(
                    "%(base_year)s: %(base)s to %(final_year)s: %(final)s; average annual growth "
                    "over %(years)s years %(actual)s reaches %(source)s of %(target)s."
                ),
                figures,
            )
        elif outcome.status == Status.PARTIAL:
            text = Text(
                "growth.partial",
                gettext_noop(
                    "%(base_year)s: %(base)s to %(final_year)s: %(final)s; average annual growth "
                    "over %(years)s years %(actual)s is below %(source)s of %(target)s: "
                    "attainment %(attainment)s."
                ),
                figures,
            )
        else:
            text = Text(
                "growth.missed",
                gettext_noop(
                    "%(base_year)s: %(base)s to %(final_year)s: %(final)s; average annual growth "
                    "over %(years)s years %(actual)s is not above zero against %(source)s of "
                    "%(target)s."
                ),
                figures,
            )
        return text, points_text(outcome)

    def progress(self, *, target: Decimal, need: StillNeeded) -> Progress:
        if need.needed is None:
            says = Text(
                "growth.cannot_say",
                gettext_noop(
                    "Cannot be said yet: the baseline year's figure is not complete and approved."
                ),
            )
        elif need.is_met:
            says = on_target_text(need)
        else:
            says = Text(
                "growth.must_reach",
                gettext_noop("%(year)s must reach %(required)s: %(needed)s more"),
                {"year": need.target_year, "required": need.required, "needed": need.needed},
            )
        return Progress(
            target=Text(
                "growth.target", gettext_noop("%(target)s a year"), {"target": Rate(target)}
            ),
            approved=Text(
                "growth.approved",
                gettext_noop("Approved in %(year)s"),
                {"year": need.target_year},
            ),
            need=says,
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
    label = gettext_noop("cumulative (total since the start, pro-rated target)")
    target_measure = actual_measure = COUNT
    running_total = True

    def reads(self, period: Period, context: Context) -> bool:
        """Values from 1 January after the baseline year up to the as-of date."""
        return period.year > context.programme.baseline_year and period.end <= context.as_of

    def assess(
        self,
        *,
        context: Context,
        rule: IndicatorRule,
        target: Decimal,
        source: TargetSource,
        totals: Sequence[PeriodTotal],
        city: CityInput,
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
                target=_quantize_fixed(pro_rated, self.target_measure.quantum),
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
            target=_quantize_fixed(pro_rated, self.target_measure.quantum),
            actual=quantize(total, self.actual_measure.quantum),
            attainment=shown_attainment(attainment, met=status is Status.MET),
            points=points,
            reason=(
                f"{show(total)} approved in {periods} period{'s' if periods != 1 else ''}"
                f" from {window}: {verdict} {target_text}. "
                f"{show(points)} of {shown_weight} points."
            ),
            final_value=total,
        )

    def still_needed(
        self,
        *,
        context: Context,
        indicator: str,
        target: Decimal,
        totals: Sequence[PeriodTotal],
        places: int,
    ) -> StillNeeded:
        """The pro-rated target ``target x n / L`` less what has been approved since the baseline
        year, never below zero, rounded **up** to the unit's precision (a count of 66.67 needs
        67)."""
        programme, n, by = context.programme, context.years_elapsed, context.as_of
        so_far = decimal_sum(t.total for t in totals if programme.baseline_year < t.year <= by.year)
        if n == 0:
            return StillNeeded(indicator, self.name, by, None, None, so_far, None)
        due = CONTEXT.divide(
            CONTEXT.multiply(target, Decimal(n)), Decimal(programme.construction_years)
        )
        required = round_up(due, places)
        needed = max(ZERO, CONTEXT.subtract(required, so_far))
        return StillNeeded(indicator, self.name, by, None, required, so_far, needed)

    def path(
        self, *, programme: ProgrammeSpec, target: Decimal, totals: Sequence[PeriodTotal]
    ) -> tuple[PathPoint, ...]:
        """The running total against the target spread evenly over the construction years."""
        per_year = _per_year(totals)
        baseline, years = programme.baseline_year, programme.construction_years
        points: list[PathPoint] = []
        running = ZERO
        for year in range(baseline + 1, baseline + years + 1):
            running = _CHART.add(running, per_year.get(year, ZERO))
            path = _CHART.divide(_CHART.multiply(target, year - baseline), years)
            points.append(
                PathPoint(
                    year,
                    running if year in per_year else None,
                    path.quantize(_CENT, context=_CHART),
                )
            )
        return tuple(points)

    def monitor(
        self,
        *,
        programme: ProgrammeSpec,
        as_of: dt.date,
        target: Decimal,
        totals: Sequence[PeriodTotal],
    ) -> tuple[Decimal, Decimal] | None:
        """The running total since the baseline year against the target spread evenly over
        the construction years' months (nothing approved yet: it cannot be said, as an
        evaluation would not assess it)."""
        months = months_elapsed(programme, as_of)
        counted = [t for t in totals if t.year > programme.baseline_year]
        if months == 0 or not counted:
            return None
        so_far = decimal_sum(t.total for t in counted)
        path = CONTEXT.divide(CONTEXT.multiply(target, months), 12 * programme.construction_years)
        return so_far, path

    def reason(self, outcome: StoredOutcome, context: Context) -> tuple[Text, ...]:
        figures: dict[str, Figure] = {
            "start": Period(context.programme.baseline_year + 1, Granularity.YEAR).start,
            "as_of": context.as_of,
            "actual": self.actual_measure.figure(outcome.actual),
            "full": self.target_measure.figure(outcome.full_target),
            "target": self.target_measure.figure(outcome.target),
            "source": self.source_text(outcome),
            "years": context.years_elapsed,
            "length": context.programme.construction_years,
            "attainment": Rate(outcome.attainment),
            "points": outcome.points,
            "weight": outcome.weight,
        }
        if outcome.status == Status.NOT_ASSESSABLE:
            return (
                Text(
                    "cumulative.not_assessable",
                    gettext_noop(
                        "Not assessable: no approved value in periods from %(start)s to "
                        "%(as_of)s. 0.00 of %(weight)s points; flagged for review."
                    ),
                    figures,
                ),
            )
        if outcome.status == Status.MET:
            text = Text(
                "cumulative.met",
                gettext_noop(
                    "%(actual)s approved from %(start)s to %(as_of)s: reaches %(source)s of "
                    "%(full)s pro-rated to %(years)s of %(length)s years, %(target)s."
                ),
                figures,
            )
        elif outcome.status == Status.PARTIAL:
            text = Text(
                "cumulative.partial",
                gettext_noop(
                    "%(actual)s approved from %(start)s to %(as_of)s: attainment %(attainment)s "
                    "of %(source)s of %(full)s pro-rated to %(years)s of %(length)s years, "
                    "%(target)s."
                ),
                figures,
            )
        else:
            text = Text(
                "cumulative.missed",
                gettext_noop(
                    "Nothing approved towards %(source)s of %(full)s pro-rated to %(years)s of "
                    "%(length)s years, %(target)s, from %(start)s to %(as_of)s."
                ),
                figures,
            )
        return text, points_text(outcome)

    def progress(self, *, target: Decimal, need: StillNeeded) -> Progress:
        if need.needed is None:
            says = Text("cumulative.cannot_say", gettext_noop("Cannot be said yet."))
        elif need.is_met:
            says = on_target_text(need)
        else:
            says = Text(
                "cumulative.more_needed",
                gettext_noop("%(needed)s more needed by %(date)s"),
                {"needed": need.needed, "date": need.by},
            )
        return Progress(
            target=Text("cumulative.target", "%(target)s", {"target": target}),
            approved=Text("cumulative.approved", gettext_noop("Approved so far")),
            need=says,
        )

    def project(
        self, *, context: Context, indicator: str, observations: Sequence[Observation]
    ) -> Projection:
        """The total since the baseline year projected to the evaluation date at the average
        monthly pace so far: the months of the window not yet approved (late or still to come)
        each add the average of the months approved. The range is the spread of the monthly
        values over the months still missing (``pace.half_width``)."""
        programme, as_of = context.programme, context.as_of
        baseline = programme.baseline_year
        end = last_ended_month(as_of)
        counted = [
            o
            for o in observations
            if o.period.year > baseline and (o.period.year, o.period.last_month) <= end
        ]
        start = Period(baseline + 1, Granularity.YEAR).start
        figures: dict[str, Figure] = {"start": start, "date": as_of}
        if not counted:
            return unprojected(
                indicator,
                (),
                Text(
                    "cumulative.forecast_nothing_yet",
                    gettext_noop("Cannot be forecast yet: nothing approved since %(start)s."),
                    figures,
                ),
            )
        months = window(baseline + 1, as_of)
        have = covered(counted) & set(months)
        so_far = decimal_sum(o.value for o in counted)
        months_left = len(months) - len(have)
        pace = CONTEXT.divide(so_far, len(have)) if have else ZERO
        likely = CONTEXT.add(so_far, CONTEXT.multiply(pace, months_left))
        spread = half_width(monthly_averages(counted), months_left)
        low = max(so_far, CONTEXT.subtract(likely, spread))
        high = CONTEXT.add(likely, spread)
        per_year: dict[int, Decimal] = {}
        for o in counted:
            per_year[o.period.year] = CONTEXT.add(per_year.get(o.period.year, ZERO), o.value)
        last = end[0]

        def totals(total: Decimal) -> tuple[PeriodTotal, ...]:
            # What is projected counts in the last year: the kind reads the sum only.
            projected = dict(per_year)
            projected[last] = CONTEXT.add(
                projected.get(last, ZERO), CONTEXT.subtract(total, so_far)
            )
            return yearly(indicator, projected)

        if months_left == 0:
            basis = Text(
                "cumulative.forecast_complete",
                gettext_noop("Every month from %(start)s to %(date)s is approved: %(figure)s."),
                {**figures, "figure": so_far},
            )
        else:
            basis = Text(
                "cumulative.forecast_pace",
                gettext_noop(
                    "%(so_far)s approved over %(months)s months since %(start)s, %(pace)s a "
                    "month: the %(left)s months still missing up to %(date)s at that pace bring "
                    "the total to %(figure)s."
                ),
                {
                    **figures,
                    "so_far": so_far,
                    "months": len(have),
                    "pace": show(pace),
                    "left": months_left,
                    "figure": fen(likely),
                },
            )
        return Projection(
            indicator=indicator,
            likely=totals(likely),
            low=totals(low),
            high=totals(high),
            figure=fen(likely),
            low_figure=fen(low),
            high_figure=fen(high),
            so_far=so_far,
            months_left=months_left,
            basis=basis,
            extra_year=last,
        )


def _last_year_ended(as_of: dt.date) -> int:
    return as_of.year if (as_of.month, as_of.day) == (12, 31) else as_of.year - 1


def months_elapsed(programme: ProgrammeSpec, as_of: dt.date) -> int:
    """The construction months (from January after the baseline year) that have ended by
    ``as_of``, at most the construction years' twelve months each."""
    year, month = last_ended_month(as_of)
    months = (year - programme.baseline_year - 1) * 12 + month
    return max(0, min(12 * programme.construction_years, months))


def _rule_weight(rule: IndicatorRule) -> Fraction:
    """The weight a rule scores with, exact: its own, or its share of a weight shared by
    several rules (an optional task's share of the optional tasks' weight)."""
    return Fraction(rule.weight) / (rule.shared_by or 1)


def _shown_fraction(attainment: Fraction, *, met: bool) -> Decimal:
    """An exact attainment shown as ``shown_attainment`` shows a decimal one."""
    shown = round_fraction(attainment, 4)
    return _JUST_BELOW_ONE if shown == ONE and not met else shown


def _window(context: Context) -> tuple[dt.date, dt.date]:
    """From 1 January after the baseline year up to the as-of date: what is counted."""
    return Period(context.programme.baseline_year + 1, Granularity.YEAR).start, context.as_of


def _years(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


NO_BUDGET_TARGET = Refusal(
    code="no_committed_target",
    in_field=gettext_noop(
        "takes no committed target: budget execution is measured against the city's spending plan"
    ),
    in_row=gettext_noop(
        "committed target %(target)s: budget execution takes no committed target; it is "
        "measured against the city's spending plan"
    ),
)


class BudgetExecutionRule(RuleKind):
    """The money spent against the money planned (预算执行率): the approved expenditure ``S``
    since the baseline year against the planned spending ``P`` for the years elapsed (the
    city's plan, or its first tranche pro-rated where it planned nothing); ``e = S / P``,
    attainment ``min(1, e)``, exact until the points are rounded."""

    name = "budget_execution"
    description = "approved expenditure against the planned spending for the years elapsed"
    label = gettext_noop("budget execution (money spent against the plan)")
    target_measure = Measure(rate=False, places=2)
    actual_measure = RATE
    reported = False
    own_indicator = BUDGET_INDICATOR
    fixed_floor = ONE

    def target(
        self, *, rule: IndicatorRule, committed: Decimal | None, city: CityInput
    ) -> tuple[Decimal, TargetSource]:
        """What the city set out to spend over the construction years (its plan, or its first
        tranche); the run counts it for the years elapsed."""
        return whole_plan(city)

    def target_refusal(self, *, target: Decimal, floor: Decimal) -> Refusal | None:
        return NO_BUDGET_TARGET

    def floor_words(self, floor: Decimal) -> Text:
        return Text("budget.floor", gettext_noop("the city's spending plan"))

    def input_problems(
        self, *, context: Context, rule: IndicatorRule, city: CityInput
    ) -> list[str]:
        """A plan adding up to 0 (or no plan and no first tranche) leaves nothing to measure
        against; expenditure follows the values' rules."""
        problem = planned_problem(city, context.programme, context.years_elapsed)
        return [*([problem] if problem else []), *expenditure_problems(city)]

    def _planned_phrase(self, planned: Planned, context: Context) -> str:
        if planned.source is TargetSource.PLAN:
            return (
                f"the planned {show(round_fraction(planned.amount, 2))} yuan for "
                f"{_years(planned.first_year, planned.last_year)}"
            )
        return (
            f"the first tranche pro-rated to {context.years_elapsed} of "
            f"{context.programme.construction_years} years, "
            f"{show(round_fraction(planned.amount, 2))} yuan"
        )

    def assess(
        self,
        *,
        context: Context,
        rule: IndicatorRule,
        target: Decimal,
        source: TargetSource,
        totals: Sequence[PeriodTotal],
        city: CityInput,
    ) -> IndicatorOutcome:
        planned = planned_spending(city, context.programme, context.years_elapsed)
        weight = _rule_weight(rule)
        shown_weight = round_fraction(weight, 2)
        start, end = _window(context)
        counted = spent(city.expenditure, context.programme)
        phrase = self._planned_phrase(planned, context)

        def outcome(**fields: object) -> IndicatorOutcome:
            return IndicatorOutcome(
                indicator=rule.indicator,
                kind=self.name,
                weight=shown_weight,
                full_target=target,
                target_source=planned.source,
                target=round_fraction(planned.amount, 2),
                **fields,  # type: ignore[arg-type]
            )

        if counted is None or planned.amount <= 0:
            return outcome(
                status=Status.NOT_ASSESSABLE,
                actual=None,
                attainment=_quantize_fixed(ZERO, FOUR_PLACES),
                points=_quantize_fixed(ZERO, TWO_PLACES),
                reason=(
                    f"Not assessable: no approved expenditure in periods from {start.isoformat()} "
                    f"to {end.isoformat()}. 0.00 of {show(shown_weight)} points; flagged for "
                    "review."
                ),
            )
        rate = counted / planned.amount
        attainment = min(Fraction(1), rate)
        status = (
            Status.MET if attainment == 1 else Status.PARTIAL if attainment > 0 else Status.MISSED
        )
        points = round_fraction(weight * attainment, 2)
        actual = round_fraction(rate, 4)
        spent_amount = decimal_sum(
            t.total for t in counted_expenditure(city.expenditure, context.programme)
        )
        window = f"from {start.isoformat()} to {end.isoformat()}"
        if status is Status.MISSED:
            said = (
                f"Nothing spent {window} against {phrase}: execution rate {show_percent(actual)}."
            )
        else:
            said = (
                f"{show(spent_amount)} yuan spent {window}: execution rate "
                f"{show_percent(actual)} of {phrase}"
                + (", the plan reached." if status is Status.MET else ".")
            )
        return outcome(
            status=status,
            actual=actual,
            attainment=_shown_fraction(attainment, met=status is Status.MET),
            points=points,
            reason=f"{said} {show(points)} of {show(shown_weight)} points.",
            final_value=spent_amount,
        )

    def still_needed(
        self,
        *,
        context: Context,
        indicator: str,
        target: Decimal,
        totals: Sequence[PeriodTotal],
        places: int,
    ) -> StillNeeded:
        """``target`` is the planned spending ``P`` at ``context.as_of`` (``planned_spending``):
        what is still to be spent to reach it, never below zero, rounded up to ``places``."""
        programme, n, by = context.programme, context.years_elapsed, context.as_of
        so_far = decimal_sum(t.total for t in totals if programme.baseline_year < t.year <= by.year)
        if n == 0:
            return StillNeeded(indicator, self.name, by, None, None, so_far, None)
        required = round_up(target, places)
        needed = max(ZERO, CONTEXT.subtract(required, so_far))
        return StillNeeded(indicator, self.name, by, None, required, so_far, needed)

    def path(
        self, *, programme: ProgrammeSpec, target: Decimal, totals: Sequence[PeriodTotal]
    ) -> tuple[PathPoint, ...]:
        """The money spent so far, year by year, against the whole plan spread evenly."""
        return CumulativeRule().path(programme=programme, target=target, totals=totals)

    def source_text(self, outcome: StoredOutcome) -> Text:
        if outcome.target_source == TargetSource.PLAN:
            return Text("budget.plan", gettext_noop("the city's spending plan"))
        return Text("budget.tranche", gettext_noop("the first tranche, pro-rated"))

    def reason(self, outcome: StoredOutcome, context: Context) -> tuple[Text, ...]:
        start, end = _window(context)
        first = context.programme.baseline_year + 1
        last = context.programme.baseline_year + context.years_elapsed
        figures: dict[str, Figure] = {
            "start": start,
            "as_of": end,
            "spent": outcome.final_value,
            "target": outcome.target,
            "actual": self.actual_measure.figure(outcome.actual),
            "years": _years(first, last),
            "elapsed": context.years_elapsed,
            "length": context.programme.construction_years,
            "points": outcome.points,
            "weight": outcome.weight,
        }
        if outcome.status == Status.NOT_ASSESSABLE:
            return (
                Text(
                    "budget.not_assessable",
                    gettext_noop(
                        "Not assessable: no approved expenditure in periods from %(start)s to "
                        "%(as_of)s. 0.00 of %(weight)s points; flagged for review."
                    ),
                    figures,
                ),
            )
        if outcome.target_source == TargetSource.PLAN:
            planned = Text(
                "budget.planned",
                gettext_noop("the planned %(target)s yuan for %(years)s"),
                figures,
            )
        else:
            planned = Text(
                "budget.pro_rated",
                gettext_noop(
                    "the first tranche pro-rated to %(elapsed)s of %(length)s years, "
                    "%(target)s yuan"
                ),
                figures,
            )
        figures = {**figures, "planned": planned}
        if outcome.status == Status.MET:
            text = Text(
                "budget.met",
                gettext_noop(
                    "%(spent)s yuan spent from %(start)s to %(as_of)s: execution rate "
                    "%(actual)s of %(planned)s, the plan reached."
                ),
                figures,
            )
        elif outcome.status == Status.PARTIAL:
            text = Text(
                "budget.partial",
                gettext_noop(
                    "%(spent)s yuan spent from %(start)s to %(as_of)s: execution rate "
                    "%(actual)s of %(planned)s."
                ),
                figures,
            )
        else:
            text = Text(
                "budget.missed",
                gettext_noop(
                    "Nothing spent from %(start)s to %(as_of)s against %(planned)s: execution "
                    "rate %(actual)s."
                ),
                figures,
            )
        return text, points_text(outcome)

    def progress(self, *, target: Decimal, need: StillNeeded) -> Progress:
        if need.needed is None:
            says = Text("budget.cannot_say", gettext_noop("Cannot be said yet."))
        elif need.is_met:
            says = on_target_text(need)
        else:
            says = Text(
                "budget.more_to_spend",
                gettext_noop("%(needed)s yuan more to spend by %(date)s"),
                {"needed": need.needed, "date": need.by},
            )
        return Progress(
            target=Text(
                "budget.target", gettext_noop("%(target)s yuan planned"), {"target": target}
            ),
            approved=Text("budget.approved", gettext_noop("Approved expenditure so far")),
            need=says,
        )


NO_TASK_TARGET = Refusal(
    code="no_committed_target",
    in_field=gettext_noop("takes no committed target: a task is scored by the expert panel"),
    in_row=gettext_noop(
        "committed target %(target)s: a task takes no committed target; the expert panel scores it"
    ),
)


class TaskRule(RuleKind):
    """A task of the implementation plan scored by the expert panel (专家评审): the panel's
    score is the mean of its experts' scores (0 to 1), the highest and lowest dropped from
    five experts on; points are the task's weight (a compulsory task's own, or an optional
    task's share of the optional tasks' weight) times that score, rounded once."""

    name = "task"
    description = "a task of the plan, scored by the expert panel from 0 to 1"
    label = gettext_noop("task (scored by the expert panel)")
    target_measure = actual_measure = RATE
    reported = False
    fixed_floor = ONE
    per_task = True

    def target(
        self, *, rule: IndicatorRule, committed: Decimal | None, city: CityInput
    ) -> tuple[Decimal, TargetSource]:
        """The panel's full marks."""
        return ONE, TargetSource.PANEL

    def target_refusal(self, *, target: Decimal, floor: Decimal) -> Refusal | None:
        return NO_TASK_TARGET

    def floor_words(self, floor: Decimal) -> Text:
        return Text("task.floor", gettext_noop("the expert panel's full marks"))

    def input_problems(
        self, *, context: Context, rule: IndicatorRule, city: CityInput
    ) -> list[str]:
        return score_problems(s for s in city.panel_scores if s.task == rule.indicator)

    @staticmethod
    def _panel_phrase(experts: int, counted: int, chosen: int | None) -> str:
        if counted < experts:
            how = (
                f"the mean of the scores of {counted} of {experts} experts, the highest and "
                "the lowest dropped"
            )
        elif experts == 1:
            how = "the score of its one expert"
        else:
            how = f"the mean of the scores of {experts} experts"
        if chosen == 1:
            return f"{how}; the one optional task chosen"
        if chosen is not None:
            return f"{how}; one of the {chosen} optional tasks chosen, which share their points"
        return how

    def assess(
        self,
        *,
        context: Context,
        rule: IndicatorRule,
        target: Decimal,
        source: TargetSource,
        totals: Sequence[PeriodTotal],
        city: CityInput,
    ) -> IndicatorOutcome:
        weight = _rule_weight(rule)
        shown_weight = round_fraction(weight, 2)
        panel = panel_of(s for s in city.panel_scores if s.task == rule.indicator)
        chosen = None if rule.shared_by is None else Decimal(rule.shared_by)

        def outcome(**fields: object) -> IndicatorOutcome:
            return IndicatorOutcome(
                indicator=rule.indicator,
                kind=self.name,
                weight=shown_weight,
                full_target=target,
                target_source=source,
                target=_quantize_fixed(target, FOUR_PLACES),
                base_value=chosen,
                **fields,  # type: ignore[arg-type]
            )

        if panel.score is None:
            return outcome(
                status=Status.NOT_ASSESSABLE,
                actual=None,
                attainment=_quantize_fixed(ZERO, FOUR_PLACES),
                points=_quantize_fixed(ZERO, TWO_PLACES),
                reason=(
                    "Not assessable: no expert of the panel has scored this task. "
                    f"0.00 of {show(shown_weight)} points; flagged for review."
                ),
            )
        score = panel.score
        status = Status.MET if score == 1 else Status.PARTIAL if score > 0 else Status.MISSED
        points = round_fraction(weight * score, 2)
        actual = round_fraction(score, 4)
        how = f"({self._panel_phrase(panel.experts, panel.counted, rule.shared_by)})"
        if status is Status.MET:
            said = f"Full marks from the expert panel {how}."
        elif status is Status.PARTIAL:
            said = f"Panel score {show_percent(actual)} {how}."
        else:
            said = f"The expert panel scored it 0 {how}."
        return outcome(
            status=status,
            actual=actual,
            attainment=_shown_fraction(min(Fraction(1), score), met=status is Status.MET),
            points=points,
            reason=f"{said} {show(points)} of {show(shown_weight)} points.",
            final_value=Decimal(panel.experts),
            panel=panel.marks,
        )

    def still_needed(
        self,
        *,
        context: Context,
        indicator: str,
        target: Decimal,
        totals: Sequence[PeriodTotal],
        places: int,
    ) -> StillNeeded:
        """Nothing a city reports counts towards a task: the panel scores it."""
        return StillNeeded(indicator, self.name, context.as_of, None, None, ZERO, None)

    def path(
        self, *, programme: ProgrammeSpec, target: Decimal, totals: Sequence[PeriodTotal]
    ) -> tuple[PathPoint, ...]:
        """No figures year by year: the panel scores a task once, at the evaluation."""
        first = programme.baseline_year + 1
        return tuple(
            PathPoint(year, None, None)
            for year in range(first, first + programme.construction_years)
        )

    def source_text(self, outcome: StoredOutcome) -> Text:
        return Text("task.full_marks", gettext_noop("the expert panel's full marks"))

    def reason(self, outcome: StoredOutcome, context: Context) -> tuple[Text, ...]:
        figures: dict[str, Figure] = {
            "actual": self.actual_measure.figure(outcome.actual),
            "points": outcome.points,
            "weight": outcome.weight,
        }
        if outcome.status == Status.NOT_ASSESSABLE:
            return (
                Text(
                    "task.not_assessable",
                    gettext_noop(
                        "Not assessable: no expert of the panel has scored this task. 0.00 of "
                        "%(weight)s points; flagged for review."
                    ),
                    figures,
                ),
            )
        experts = int(outcome.final_value or 0)
        counted = experts - 2 if experts >= DROP_FROM else experts
        panel_figures: dict[str, Figure] = {"experts": experts, "counted": counted}
        if counted < experts:
            how = Text(
                "task.panel_dropped",
                gettext_noop(
                    "the mean of the scores of %(counted)s of %(experts)s experts, the highest "
                    "and the lowest dropped"
                ),
                panel_figures,
            )
        elif experts == 1:
            how = Text("task.panel_one", gettext_noop("the score of its one expert"))
        else:
            how = Text(
                "task.panel",
                gettext_noop("the mean of the scores of %(experts)s experts"),
                panel_figures,
            )
        if outcome.base_value == ONE:
            how = Text(
                "task.only_optional",
                gettext_noop("%(how)s; the one optional task chosen"),
                {"how": how},
            )
        elif outcome.base_value is not None:
            how = Text(
                "task.optional",
                gettext_noop(
                    "%(how)s; one of the %(chosen)s optional tasks chosen, which share their points"
                ),
                {"how": how, "chosen": int(outcome.base_value)},
            )
        figures = {**figures, "how": how}
        if outcome.status == Status.MET:
            text = Text(
                "task.met", gettext_noop("Full marks from the expert panel (%(how)s)."), figures
            )
        elif outcome.status == Status.PARTIAL:
            text = Text("task.partial", gettext_noop("Panel score %(actual)s (%(how)s)."), figures)
        else:
            text = Text(
                "task.missed", gettext_noop("The expert panel scored it 0 (%(how)s)."), figures
            )
        return text, points_text(outcome)

    def progress(self, *, target: Decimal, need: StillNeeded) -> Progress:
        return Progress(
            target=Text("task.target", gettext_noop("full marks")),
            approved=Text("task.approved", gettext_noop("Panel score")),
            need=Text("task.by_panel", gettext_noop("Scored by the expert panel")),
        )


RULE_KINDS: dict[str, RuleKind] = {
    kind.name: kind for kind in (GrowthRule(), CumulativeRule(), BudgetExecutionRule(), TaskRule())
}


def rule_kind(name: str) -> RuleKind:
    """The kind a ruleset names ``name``."""
    try:
        return RULE_KINDS[name]
    except KeyError:
        raise ValueError(f"unknown rule kind {name!r}") from None
