"""A city's pace: what its approved figures so far say of the months still to come.

The pure parts of a forecast (``forecast.py``) that every rule kind may use when it projects
its figures to an evaluation date (``rules.RuleKind.project``): which months the approved
periods cover, each period's monthly average, the spread of those averages, and the
``Projection`` a kind returns. No clock: the evaluation date is passed in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cache

from .decimals import CONTEXT, TWO_PLACES, ZERO, decimal_sum, quantize
from .periods import Granularity, Period
from .texts import Text
from .totals import last_ended_month
from .types import Observation, PeriodTotal

Month = tuple[int, int]
"""(year, month)."""


@dataclass(frozen=True, slots=True)
class Projection:
    """An indicator's figures projected to an evaluation date as its kind reads them.

    ``likely``, ``low`` and ``high`` are totals the kind's ``assess`` reads as of that date: the
    figures approved so far with the months still missing filled in at the pace so far, and at
    the two ends of the range the spread of the monthly values gives. ``figure`` (``low_figure``,
    ``high_figure``) is the quantity the kind measures (a year's value, the total since the
    baseline year), ``so_far`` what approved figures already give towards it, ``months_left``
    how many months were projected, and ``basis`` says how, with its figures. ``extra_year`` is
    the year a further amount counts in for the kind (None: the kind cannot say, and no
    "what it takes" is offered for it)."""

    indicator: str
    likely: tuple[PeriodTotal, ...]
    low: tuple[PeriodTotal, ...]
    high: tuple[PeriodTotal, ...]
    figure: Decimal | None
    low_figure: Decimal | None
    high_figure: Decimal | None
    so_far: Decimal
    months_left: int
    basis: Text
    extra_year: int | None = None

    @property
    def projected(self) -> bool:
        """Whether anything was projected (months were missing and a pace was known)."""
        return self.months_left > 0 and self.figure is not None

    def with_extra(self, amount: Decimal) -> tuple[PeriodTotal, ...]:
        """The likely totals with ``amount`` more in ``extra_year``: what a city that does
        ``amount`` better than its pace would be scored on."""
        if self.extra_year is None:
            return self.likely
        return tuple(
            replace(t, total=CONTEXT.add(t.total, amount)) if t.year == self.extra_year else t
            for t in self.likely
        )


def unprojected(indicator: str, totals: Sequence[PeriodTotal], basis: Text) -> Projection:
    """The figures as they stand: nothing projected (a kind without a method, or nothing to
    project from)."""
    return Projection(
        indicator=indicator,
        likely=tuple(totals),
        low=tuple(totals),
        high=tuple(totals),
        figure=None,
        low_figure=None,
        high_figure=None,
        so_far=decimal_sum(t.total for t in totals),
        months_left=0,
        basis=basis,
    )


def months_of(observation: Observation) -> tuple[Month, ...]:
    """The months a period covers (12 for a year, 3 for a quarter)."""
    return _months(observation.period)


@cache
def _months(period: Period) -> tuple[Month, ...]:
    return tuple((period.year, m) for m in range(period.first_month, period.last_month + 1))


def covered(observations: Iterable[Observation]) -> set[Month]:
    return {month for o in observations for month in months_of(o)}


def monthly_averages(observations: Iterable[Observation]) -> list[Decimal]:
    """Each period's value per month (a quarter's value over 3): the samples of the spread."""
    return [CONTEXT.divide(o.value, len(months_of(o))) for o in observations]


def spread(samples: Sequence[Decimal]) -> Decimal:
    """The sample standard deviation of ``samples`` (0 with fewer than two)."""
    if len(samples) < 2:
        return ZERO
    mean = CONTEXT.divide(decimal_sum(samples), len(samples))
    squares = decimal_sum(CONTEXT.power(CONTEXT.subtract(s, mean), 2) for s in samples)
    return CONTEXT.sqrt(CONTEXT.divide(squares, len(samples) - 1))


def half_width(samples: Sequence[Decimal], months_left: int) -> Decimal:
    """Half the range of ``months_left`` months still to come: the spread of the monthly values
    so far times the square root of the months (the spread of a sum of that many months that
    vary as the ones so far did)."""
    if months_left <= 0:
        return ZERO
    return CONTEXT.multiply(spread(samples), CONTEXT.sqrt(Decimal(months_left)))


def window(start_year: int, as_of: dt.date) -> list[Month]:
    """Every month from January of ``start_year`` to the last month ended by ``as_of``."""
    end = last_ended_month(as_of)
    months: list[Month] = []
    year, month = start_year, 1
    while (year, month) <= end:
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def fen(value: Decimal) -> Decimal:
    """A projected figure to two places (forecasts are read, never summed again)."""
    return quantize(value, TWO_PLACES)


def yearly(indicator: str, per_year: dict[int, Decimal]) -> tuple[PeriodTotal, ...]:
    """Totals of whole years (a projected year counts as complete)."""
    return tuple(
        PeriodTotal(indicator, year, Granularity.YEAR, fen(total), frozenset({0}))
        for year, total in sorted(per_year.items())
    )
