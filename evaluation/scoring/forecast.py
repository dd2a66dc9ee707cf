"""A forecast: where a city is heading at the next evaluation date, at its current pace.

Pure, like the evaluation it borrows from: each indicator's approved figures are projected to
the evaluation date by its rule kind (``rules.RuleKind.project``), and the projected figures are
scored by the very rules of the evaluation (``engine.evaluate_city``, the kinds' ``assess``),
so a forecast says what a run at that date would say if the months still missing went on as
the months so far. The range is each indicator's points at the two ends of its projection (the
lower and the higher of them, whichever way the kind counts), added up. Nothing here is stored:
a forecast is drawn when it is read, never kept as a result.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from .decimals import CONTEXT, ONE, TWO_PLACES, ZERO, decimal_sum, quantize
from .engine import (
    InputError,
    NothingToEvaluate,
    check_targets,
    evaluate_city,
    grade_for,
    release_amount,
    years_elapsed,
)
from .pace import Projection
from .rules import RULE_KINDS, Context
from .totals import city_totals
from .types import (
    CityInput,
    CityOutcome,
    IndicatorOutcome,
    IndicatorRule,
    Observation,
    ProgrammeSpec,
    RulesetSpec,
    TargetSource,
)

# A bound on the search for what it takes to reach a grade: 2**80 units is beyond any figure.
_DOUBLINGS = 80


@dataclass(frozen=True, slots=True)
class Tier:
    """A score, the grade it reaches (from ``min_score``) and what that grade releases."""

    score: Decimal
    grade: str
    min_score: Decimal
    release_share: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class IndicatorForecast:
    """One indicator at the evaluation date: its projection, the outcome the likely figures
    would be scored with, and the points at the two ends of the range."""

    indicator: str
    target: Decimal
    target_source: TargetSource
    projection: Projection
    likely: IndicatorOutcome
    low_points: Decimal
    high_points: Decimal


@dataclass(frozen=True, slots=True)
class CityForecast:
    """Where a city is heading at ``by``: the likely outcome (scored as a run at that date
    would score the projected figures), the range of score, grade and release, and the risk of
    falling a tier: the share of the range of scores below the floor of the likely grade
    (0: the whole range stays in it; the lowest grade cannot be fallen from)."""

    city: str
    by: dt.date
    years_elapsed: int
    likely: CityOutcome
    tier: Tier
    low: Tier
    high: Tier
    indicators: tuple[IndicatorForecast, ...]
    risk: Decimal

    @property
    def margin(self) -> Decimal:
        """Points above the floor of the likely grade."""
        return CONTEXT.subtract(self.tier.score, self.tier.min_score)

    @property
    def may_fall(self) -> bool:
        """The low end of the range reaches a lower grade."""
        return self.low.grade != self.tier.grade


@dataclass(frozen=True, slots=True)
class GradeOption:
    """One way to reach a grade: ``extra`` more of ``indicator`` by the evaluation date than
    its pace brings (``figure``, the projected figure with it)."""

    indicator: str
    extra: Decimal
    figure: Decimal


@dataclass(frozen=True, slots=True)
class GradeNeed:
    """What it takes to reach the next grade up: ``shortfall`` points, and each indicator that
    could close the gap alone with how much more of it (none when no single one can)."""

    grade: str
    min_score: Decimal
    shortfall: Decimal
    options: tuple[GradeOption, ...]


def tier_of(score: Decimal, ruleset: RulesetSpec, remaining: Decimal) -> Tier:
    band = grade_for(score, ruleset.bands)
    return Tier(
        score=quantize(score, TWO_PLACES),
        grade=band.grade,
        min_score=band.min_score,
        release_share=band.release_share,
        amount=release_amount(remaining, band),
    )


def _risk(low: Decimal, high: Decimal, floor: Decimal) -> Decimal:
    """The share of [low, high] below ``floor``."""
    if high <= low or low >= floor:
        return ZERO
    return min(ONE, CONTEXT.divide(CONTEXT.subtract(floor, low), CONTEXT.subtract(high, low)))


def forecast_city(
    *, programme: ProgrammeSpec, ruleset: RulesetSpec, by: dt.date, city: CityInput
) -> CityForecast:
    """``city``'s forecast at the evaluation date ``by`` from its approved values so far
    (``city.observations``, one by one: the spread needs each month). Raises
    ``NothingToEvaluate`` when no construction year ends by ``by``, and ``InputError`` for
    inputs an evaluation would refuse (a target below the floor, mixed granularities)."""
    n = years_elapsed(programme, by)
    if n == 0:
        raise NothingToEvaluate(
            [f"no construction year of programme {programme.code} ends by {by.isoformat()}"]
        )
    _, problems = city_totals(
        city.observations, city.totals, as_of=by, from_year=programme.baseline_year
    )
    problems += check_targets(city, ruleset)
    if problems:
        raise InputError([f"city {city.city}: {problem}" for problem in problems])
    context = Context(programme=programme, as_of=by, years_elapsed=n)
    observed: dict[str, list[Observation]] = defaultdict(list)
    for observation in city.observations:
        observed[observation.indicator].append(observation)
    committed = dict(reversed(city.targets))

    projections: list[tuple[Projection, Decimal, TargetSource, Decimal, Decimal]] = []
    for rule in ruleset.indicators:
        kind = RULE_KINDS[rule.kind]
        target, source = kind.target(rule=rule, committed=committed.get(rule.indicator), city=city)
        projection = kind.project(
            context=context, indicator=rule.indicator, observations=observed[rule.indicator]
        )
        ends = [
            kind.assess(
                context=context, rule=rule, target=target, source=source, totals=t, city=city
            ).points
            for t in (projection.low, projection.high)
        ]
        projections.append((projection, target, source, min(ends), max(ends)))

    likely_totals = tuple(t for projection, *_ in projections for t in projection.likely)
    likely = evaluate_city(city, likely_totals, ruleset, context)
    indicators = tuple(
        IndicatorForecast(
            indicator=outcome.indicator,
            target=target,
            target_source=source,
            projection=projection,
            likely=outcome,
            low_points=min(low, outcome.points),
            high_points=max(high, outcome.points),
        )
        for outcome, (projection, target, source, low, high) in zip(
            likely.indicators, projections, strict=True
        )
    )
    tier = tier_of(likely.score, ruleset, city.remaining_amount)
    low = tier_of(decimal_sum(i.low_points for i in indicators), ruleset, city.remaining_amount)
    high = tier_of(decimal_sum(i.high_points for i in indicators), ruleset, city.remaining_amount)
    return CityForecast(
        city=city.city,
        by=by,
        years_elapsed=n,
        likely=likely,
        tier=tier,
        low=low,
        high=high,
        indicators=indicators,
        risk=_risk(low.score, high.score, tier.min_score),
    )


def grade_need(
    *,
    forecast: CityForecast,
    programme: ProgrammeSpec,
    ruleset: RulesetSpec,
    city: CityInput,
    places: Mapping[str, int],
) -> GradeNeed | None:
    """What it takes to reach the next grade above the likely one (None: it is the highest):
    for each indicator, the least amount beyond its pace (to the unit's ``places``: whole
    counts, fen for amounts) that would lift the likely score to that grade's floor on its own,
    found by scoring the figures with the kind's own ``assess``. An indicator whose kind cannot
    say where more would count, or that cannot close the gap alone, offers nothing."""
    above = sorted(
        (band for band in ruleset.bands if band.min_score > forecast.tier.min_score),
        key=lambda band: band.min_score,
    )
    if not above:
        return None
    goal = above[0]
    shortfall = CONTEXT.subtract(goal.min_score, forecast.tier.score)
    context = Context(programme=programme, as_of=forecast.by, years_elapsed=forecast.years_elapsed)
    rules = {rule.indicator: rule for rule in ruleset.indicators}
    options: list[GradeOption] = []
    for item in forecast.indicators:
        projection = item.projection
        rule = rules[item.indicator]
        if projection.extra_year is None or projection.figure is None:
            continue
        needed = CONTEXT.add(item.likely.points, shortfall)
        if needed > rule.weight:
            continue
        extra = _least_extra(
            item,
            rule=rule,
            context=context,
            city=city,
            step=Decimal(1).scaleb(-places.get(item.indicator, 2)),
            needed=needed,
        )
        if extra is None:
            continue
        options.append(
            GradeOption(
                indicator=item.indicator,
                extra=extra,
                figure=CONTEXT.add(projection.figure, extra),
            )
        )
    return GradeNeed(
        grade=goal.grade, min_score=goal.min_score, shortfall=shortfall, options=tuple(options)
    )


def _least_extra(
    item: IndicatorForecast,
    *,
    rule: IndicatorRule,
    context: Context,
    city: CityInput,
    step: Decimal,
    needed: Decimal,
) -> Decimal | None:
    """The least multiple of ``step`` beyond the pace that gives the indicator ``needed``
    points, or None: doubled until it does, then halved back (the kind's points never fall as
    its figure grows, or the doubling finds nothing)."""
    kind = RULE_KINDS[rule.kind]

    def reaches(units: int) -> bool:
        outcome = kind.assess(
            context=context,
            rule=rule,
            target=item.target,
            source=item.target_source,
            totals=item.projection.with_extra(CONTEXT.multiply(step, units)),
            city=city,
        )
        return outcome.points >= needed

    high = 1
    for _ in range(_DOUBLINGS):
        if reaches(high):
            break
        high *= 2
    else:
        return None
    low = 0
    while high - low > 1:
        middle = (low + high) // 2
        if reaches(middle):
            high = middle
        else:
            low = middle
    return CONTEXT.multiply(step, high)
