"""What an evaluation reads: per indicator, year and granularity, the approved total and which
periods are present, counting only periods that have ended by the as-of date.

The database computes these sums itself (``evaluation.selectors.evaluation_inputs``); for
values given one by one, ``summarise`` computes exactly the same thing, so both paths give the
same results and the same input digest.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from .decimals import decimal_sum
from .periods import Granularity
from .types import Observation, PeriodTotal


def last_ended_month(as_of: dt.date) -> tuple[int, int]:
    """(year, month) of the latest month that has ended on or before ``as_of``."""
    next_day = as_of + dt.timedelta(days=1)
    if next_day.month != as_of.month:
        return as_of.year, as_of.month
    if as_of.month == 1:
        return as_of.year - 1, 12
    return as_of.year, as_of.month - 1


def summarise(
    observations: Iterable[Observation], *, as_of: dt.date, from_year: int
) -> tuple[tuple[PeriodTotal, ...], list[str]]:
    """Sum ``observations`` into totals (periods from ``from_year`` that ended by ``as_of``),
    with every problem found: a period given twice or a negative value."""
    end_year, end_month = last_ended_month(as_of)
    totals: dict[tuple[str, int, Granularity], list[Observation]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    kinds: dict[tuple[str, int], set[str]] = defaultdict(set)
    problems: list[str] = []
    for o in observations:
        key = (o.indicator, o.period.label)
        if key in seen:
            problems.append(f"two values for {o.indicator} in {o.period.label}")
        seen.add(key)
        # Mixing is an input error in any year, read by this evaluation or not.
        kinds[(o.indicator, o.period.year)].add(str(o.period.granularity))
        if o.value < 0:
            problems.append(f"negative value for {o.indicator} in {o.period.label}")
        period = o.period
        if period.year < from_year or (period.year, period.last_month) > (end_year, end_month):
            continue
        totals[(o.indicator, period.year, period.granularity)].append(o)
    problems += [
        f"{indicator} in {year} mixes {' and '.join(sorted(found))} figures"
        for (indicator, year), found in sorted(kinds.items())
        if len(found) > 1
    ]
    return (
        tuple(
            PeriodTotal(
                indicator=indicator,
                year=year,
                granularity=granularity,
                total=decimal_sum(o.value for o in members),
                numbers=frozenset(o.period.number for o in members),
            )
            for (indicator, year, granularity), members in sorted(totals.items())
        ),
        problems,
    )


def city_totals(
    observations: Iterable[Observation],
    totals: Iterable[PeriodTotal],
    *,
    as_of: dt.date,
    from_year: int,
) -> tuple[tuple[PeriodTotal, ...], list[str]]:
    """A city's totals from both kinds of input, with every problem: a period given twice, a
    negative value, or one indicator-year reported at two granularities."""
    observations = tuple(observations)
    if observations:
        summed, problems = summarise(observations, as_of=as_of, from_year=from_year)
    else:
        summed, problems = (), []
    totals = tuple(totals)
    problems += [f"negative total for {t.indicator} in {t.year}" for t in totals if t.total < 0]
    combined = tuple(sorted((*summed, *totals), key=_total_order))
    granularities: dict[tuple[str, int], set[str]] = defaultdict(set)
    for total in combined:
        granularities[(total.indicator, total.year)].add(total.granularity)
    for (indicator, year), kinds in sorted(granularities.items()):
        if len(kinds) > 1:
            message = f"{indicator} in {year} mixes {' and '.join(sorted(kinds))} figures"
            if message not in problems:
                problems.append(message)
    return combined, problems


def _total_order(total: PeriodTotal) -> tuple[str, int, str]:
    return (total.indicator, total.year, total.granularity)
