"""What a city still needs to meet a target at the next evaluation date.

Pure: the totals, the target and the evaluation date come in; nothing is read from a clock or
a database. The figures follow the rules' own definitions, so what the portal says is needed is
exactly what would be "met" at that date:

- cumulative: the pro-rated target ``target x n / L`` less what has been approved since the
  baseline year, never below zero, rounded **up** to the unit's precision (a count of 66.67
  needs 67);
- growth: the annual value the target year ``B + n`` must reach, ``V0 x (1 + t)^n``, rounded up
  to the unit's precision, and how much of it the approved figures of that year still lack.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from .decimals import CONTEXT, ONE, ZERO, decimal_sum
from .engine import years_elapsed
from .rules import annual_value
from .types import PeriodTotal, ProgrammeSpec

GROWTH = "growth"
CUMULATIVE = "cumulative"


@dataclass(frozen=True, slots=True)
class StillNeeded:
    """``required`` is the cumulative total due by ``by`` (cumulative) or the annual value the
    target year must reach (growth); ``so_far`` what approved figures give towards it;
    ``needed`` the difference, never negative. ``required`` and ``needed`` are None when they
    cannot be known yet (a growth indicator without a complete baseline year, or no year will
    have elapsed by ``by``)."""

    indicator: str
    kind: str
    by: dt.date
    target_year: int | None
    required: Decimal | None
    so_far: Decimal
    needed: Decimal | None

    @property
    def is_met(self) -> bool:
        return self.needed is not None and self.needed == ZERO


def round_up(value: Decimal, places: int) -> Decimal:
    """``value`` rounded up (towards +∞) to ``places`` decimals."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_CEILING, context=CONTEXT)


def next_evaluation_date(
    programme: ProgrammeSpec, evaluation_dates: Sequence[dt.date], today: dt.date
) -> dt.date:
    """The first of ``evaluation_dates`` (the mid-term date, and the end of the construction
    years) on or after ``today``; the last one once all have passed."""
    final = dt.date(programme.baseline_year + programme.construction_years, 12, 31)
    dates = sorted({*evaluation_dates, final})
    for date in dates:
        if date >= today:
            return date
    return dates[-1]


def still_needed(
    *,
    indicator: str,
    kind: str,
    target: Decimal,
    programme: ProgrammeSpec,
    by: dt.date,
    totals: Iterable[PeriodTotal],
    places: int,
) -> StillNeeded:
    """What ``indicator`` still needs to be met at the evaluation date ``by``."""
    of_indicator = [t for t in totals if t.indicator == indicator]
    n = years_elapsed(programme, by)
    if kind == CUMULATIVE:
        so_far = decimal_sum(
            t.total for t in of_indicator if programme.baseline_year < t.year <= by.year
        )
        if n == 0:
            return StillNeeded(indicator, kind, by, None, None, so_far, None)
        due = CONTEXT.divide(
            CONTEXT.multiply(target, Decimal(n)), Decimal(programme.construction_years)
        )
        required = round_up(due, places)
        needed = max(ZERO, CONTEXT.subtract(required, so_far))
        return StillNeeded(indicator, kind, by, None, required, so_far, needed)
    if kind != GROWTH:
        raise ValueError(f"unknown rule kind {kind!r}")
    target_year = programme.baseline_year + max(n, 1)
    so_far = decimal_sum(t.total for t in of_indicator if t.year == target_year)
    base = annual_value(programme.baseline_year, of_indicator).value
    if n == 0 or base is None or base == ZERO:
        return StillNeeded(indicator, kind, by, target_year, None, so_far, None)
    growth = CONTEXT.power(CONTEXT.add(ONE, target), n)
    required = round_up(CONTEXT.multiply(base, growth), places)
    needed = max(ZERO, CONTEXT.subtract(required, so_far))
    return StillNeeded(indicator, kind, by, target_year, required, so_far, needed)
