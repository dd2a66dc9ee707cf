"""Budget execution (预算执行率): the money a city spent against the money it planned.

Pure arithmetic on exact fractions: ``P`` (planned spending for the years counted) and ``S``
(approved expenditure since the baseline year) are read from a ``CityInput``, and the
execution rate ``e = S / P`` stays a fraction until the one rounding of the points
(programme-rules.md, "Budget execution" and "Precisions for the three parts").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from .decimals import ZERO, decimal_sum
from .types import CityInput, PeriodTotal, ProgrammeSpec, TargetSource

# The code under which the budget indicator appears in a ruleset, a run and its document.
BUDGET_INDICATOR = "budget_execution"


@dataclass(frozen=True, slots=True)
class Planned:
    """``P`` for the construction years ``first_year`` … ``last_year`` and where it comes from:
    the city's spending plan, or its first tranche pro-rated (``TargetSource.TRANCHE``) where it
    planned nothing for those years."""

    amount: Fraction
    source: TargetSource
    first_year: int
    last_year: int


def planned_spending(city: CityInput, programme: ProgrammeSpec, years_elapsed: int) -> Planned:
    """``P`` after ``years_elapsed`` construction years: the plan rows of the years ``B + 1 …
    B + n`` summed (a year without a row counts 0 when another year has one); where there is
    no such row, the city's own first tranche x n / L. Tranches released later never count."""
    first = programme.baseline_year + 1
    last = programme.baseline_year + years_elapsed
    rows = [amount for year, amount in city.plan if first <= year <= last]
    if rows:
        return Planned(
            sum((Fraction(a) for a in rows), Fraction(0)), TargetSource.PLAN, first, last
        )
    tranche = Fraction(city.first_tranche or 0)
    return Planned(
        tranche * years_elapsed / programme.construction_years, TargetSource.TRANCHE, first, last
    )


def planned_problem(city: CityInput, programme: ProgrammeSpec, years_elapsed: int) -> str | None:
    """Why ``P`` cannot be used (it is 0: a plan adding up to 0, or no plan and no first
    tranche), or None."""
    planned = planned_spending(city, programme, years_elapsed)
    if planned.amount > 0:
        return None
    if planned.source is TargetSource.PLAN:
        return (
            f"the planned spending for {planned.first_year}-{planned.last_year} adds up to 0: "
            "a plan summing to 0 is an input error"
        )
    return (
        f"no spending is planned for {planned.first_year}-{planned.last_year} and the first "
        "tranche is 0, so there is no planned spending to measure the expenditure against"
    )


def counted_expenditure(
    totals: Iterable[PeriodTotal], programme: ProgrammeSpec
) -> list[PeriodTotal]:
    """The approved expenditure the evaluation counts: every period from 1 January of
    ``B + 1`` (the totals hold only periods that ended by the as-of date)."""
    return [t for t in totals if t.year > programme.baseline_year and t.numbers]


def spent(totals: Iterable[PeriodTotal], programme: ProgrammeSpec) -> Fraction | None:
    """``S``, or None when there is no approved expenditure record at all in those periods."""
    counted = counted_expenditure(totals, programme)
    if not counted:
        return None
    return sum((Fraction(t.total) for t in counted), Fraction(0))


def expenditure_problems(city: CityInput) -> list[str]:
    """Expenditure follows the values' rules: amounts never negative, one granularity per
    year."""
    problems = [f"negative expenditure in {t.year}" for t in city.expenditure if t.total < 0]
    kinds: dict[int, set[str]] = defaultdict(set)
    for total in city.expenditure:
        kinds[total.year].add(str(total.granularity))
    problems += [
        f"the expenditure of {year} mixes {' and '.join(sorted(found))} figures"
        for year, found in sorted(kinds.items())
        if len(found) > 1
    ]
    return problems


def whole_plan(city: CityInput) -> tuple[Decimal, TargetSource]:
    """What the city set out to spend over the construction years: its plan, or its first
    tranche where it planned nothing (the target before it is counted for the years
    elapsed)."""
    if city.plan:
        return decimal_sum(amount for _, amount in city.plan), TargetSource.PLAN
    return city.first_tranche or ZERO, TargetSource.TRANCHE
