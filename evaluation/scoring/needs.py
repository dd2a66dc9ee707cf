"""What a city still needs to meet a target at the next evaluation date.

Pure: the totals, the target and the evaluation date come in; nothing is read from a clock or
a database. Each rule kind counts it by its own definition (``rules.RuleKind.still_needed``),
so what the portal says is needed is exactly what would be "met" at that date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from .decimals import round_up
from .engine import years_elapsed
from .rules import Context, rule_kind
from .types import PeriodTotal, ProgrammeSpec, StillNeeded

__all__ = ["StillNeeded", "next_evaluation_date", "round_up", "still_needed"]


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
    """What ``indicator`` (a rule of kind ``kind``) still needs to be met at the evaluation
    date ``by``."""
    behaviour = rule_kind(kind)
    context = Context(programme=programme, as_of=by, years_elapsed=years_elapsed(programme, by))
    return behaviour.still_needed(
        context=context,
        indicator=indicator,
        target=target,
        totals=[t for t in totals if t.indicator == indicator],
        places=places,
    )
