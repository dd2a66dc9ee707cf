"""Dual monitoring (绩效运行监控 / 双监控) at any date between evaluations: each city's target
attainment so far against the path to its targets, and its spending so far against its plan,
each with a deviation flag whose thresholds are ruleset data (a city below both is one whose
pending payment a reviewer may suspend).

Pure, like the evaluation: what each indicator has reached and where its path stands is its
rule kind's (``RuleKind.monitor``); the money planned so far is the plan of the construction
years ended, and of the current one the share of its months ended (the first tranche spread
evenly over the construction months where the city planned nothing)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from .budget import spent
from .decimals import round_fraction
from .rules import RULE_KINDS, months_elapsed
from .totals import city_totals, last_ended_month
from .types import CityInput, PeriodTotal, ProgrammeSpec, RulesetSpec


@dataclass(frozen=True, slots=True)
class IndicatorSoFar:
    """An indicator's approved figure so far against its path (``ratio``: the figure's share
    of the path, to 4 places), or None where it cannot be said yet."""

    indicator: str
    kind: str
    weight: Decimal
    so_far: Decimal | None
    path: Decimal | None
    ratio: Decimal | None


@dataclass(frozen=True, slots=True)
class CitySoFar:
    """A city at a date: its attainment so far (the weighted mean of its indicators' ratios,
    each capped at 1), its spending so far against its plan so far, and the deviation flags."""

    city: str
    as_of: dt.date
    indicators: tuple[IndicatorSoFar, ...]
    attainment: Decimal | None
    spent: Decimal
    planned: Decimal
    execution: Decimal | None
    attainment_low: bool
    execution_low: bool

    @property
    def both_low(self) -> bool:
        """Targets and spending both off course: a payment a reviewer may suspend."""
        return self.attainment_low and self.execution_low


def planned_so_far(city: CityInput, programme: ProgrammeSpec, as_of: dt.date) -> Fraction:
    """The money the city planned to spend by ``as_of``: the plan of each construction year
    ended, and of the current one the share of its months ended; with no plan at all for the
    construction years, the first tranche spread evenly over their months."""
    first = programme.baseline_year + 1
    last = programme.baseline_year + programme.construction_years
    plan = {year: Fraction(amount) for year, amount in city.plan if first <= year <= last}
    months = months_elapsed(programme, as_of)
    if not plan:
        return Fraction(city.first_tranche or 0) * months / (12 * programme.construction_years)
    end_year, end_month = last_ended_month(as_of)
    total = Fraction(0)
    for year, amount in plan.items():
        if year < end_year or (year == end_year and end_month == 12):
            total += amount
        elif year == end_year:
            total += amount * end_month / 12
    return total


def monitor_city(
    city: CityInput,
    *,
    ruleset: RulesetSpec,
    programme: ProgrammeSpec,
    as_of: dt.date,
    attainment_threshold: Decimal,
    execution_threshold: Decimal,
) -> CitySoFar:
    """Where ``city`` stands at ``as_of`` against its targets' paths and its plan. Its
    committed targets hold it, the national floor where it committed none (as in an
    evaluation); values and expenditure are its approved ones of periods ended by then."""
    totals, _ = city_totals(
        city.observations, city.totals, as_of=as_of, from_year=programme.baseline_year
    )
    by_indicator: dict[str, list[PeriodTotal]] = defaultdict(list)
    for total in totals:
        by_indicator[total.indicator].append(total)
    committed = dict(reversed(city.targets))
    rows: list[IndicatorSoFar] = []
    for rule in ruleset.indicators:
        kind = RULE_KINDS[rule.kind]
        target, _ = kind.target(rule=rule, committed=committed.get(rule.indicator), city=city)
        found = kind.monitor(
            programme=programme,
            as_of=as_of,
            target=target,
            totals=by_indicator.get(rule.indicator, ()),
        )
        if found is None or not kind.reported:
            if kind.reported:
                rows.append(
                    IndicatorSoFar(rule.indicator, rule.kind, rule.weight, None, None, None)
                )
            continue
        so_far, path = found
        ratio = None if path <= 0 else round_fraction(Fraction(so_far) / Fraction(path), 4)
        rows.append(
            IndicatorSoFar(
                rule.indicator,
                rule.kind,
                rule.weight,
                so_far,
                round_fraction(Fraction(path), 2),
                ratio,
            )
        )
    said = [r for r in rows if r.ratio is not None]
    weights = sum((Fraction(r.weight) for r in said), Fraction(0))
    attainment = (
        round_fraction(
            sum(
                (Fraction(r.weight) * min(Fraction(1), Fraction(r.ratio or 0)) for r in said),
                Fraction(0),
            )
            / weights,
            4,
        )
        if said and weights > 0
        else None
    )
    planned = planned_so_far(city, programme, as_of)
    money = spent(city.expenditure, programme) or Fraction(0)
    execution = round_fraction(money / planned, 4) if planned > 0 else None
    return CitySoFar(
        city=city.city,
        as_of=as_of,
        indicators=tuple(rows),
        attainment=attainment,
        spent=round_fraction(money, 2),
        planned=round_fraction(planned, 2),
        execution=execution,
        attainment_low=attainment is not None and attainment < attainment_threshold,
        execution_low=execution is not None and execution < execution_threshold,
    )
