"""How the stored numbers are written, in one place: the documents, the officials' portal, the
reviewers' admin, the reason texts and the tests all format a figure the same way. Nothing is
rounded again: the run stores growth fractions and attainment with 4 decimals, so a percentage
with 2 is exact. ``grouped`` and ``counted`` write a figure as the active language does (the
pages); the others as the stored reasons do (the documents)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import formats

from evaluation.models import IndicatorResult
from evaluation.scoring import Rate, rule_kind
from evaluation.scoring.rules import Measure, show
from evaluation.scoring.texts import Figure

TWO = Decimal("0.01")


def grouped(value: Decimal | None, places: int = 0) -> str:
    """``value`` with ``places`` decimals and grouped thousands; a dash when there is none."""
    if value is None:
        return "—"
    if not formats.get_format("THOUSAND_SEPARATOR"):
        # Chinese figures are written 30,000,000.00 in statistics and budgets, though Django's
        # zh_Hans format has no separator.
        return f"{value:,.{int(places)}f}"
    return formats.number_format(value, decimal_pos=int(places), force_grouping=True)


def counted(value: Decimal | None, *, places: int, unit: str, unit_one: str) -> str:
    """``value`` to its indicator's precision, then its unit word: the word for one after
    exactly 1 (1 SME, 2 SMEs; 1 家, 2 家)."""
    word = unit_one if value is not None and value == 1 else unit
    return f"{grouped(value, places)} {word}".rstrip()


def percent(fraction: Decimal) -> str:
    return f"{(fraction * 100).quantize(TWO)}%"


def number(value: Decimal) -> str:
    return f"{value.quantize(TWO):f}"


YUAN, WAN = "yuan", "wan"
TEN_THOUSAND = Decimal(10000)
MILLIONTHS = Decimal("0.000001")


def money(value: Decimal, unit: str = YUAN) -> str:
    """An amount with thousands separators: in yuan with the fen, 40,000,000.00 (as the
    reasons write it); in 10,000 yuan exactly, with 2 decimals and as many more (up to 6, the
    fen) as the amount needs: 4,000.00, 1.95005."""
    if unit != WAN:
        return show(value)
    text = f"{in_unit(value, unit):,.6f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def in_unit(value: Decimal, unit: str) -> Decimal:
    """An amount in yuan as a number of ``unit`` (exact: yuan have two decimals)."""
    return (value / TEN_THOUSAND).quantize(MILLIONTHS) if unit == WAN else value


def signed(value: Decimal) -> str:
    """A change in score: +2.50, -1.25, 0.00."""
    return f"{value.quantize(TWO):+.2f}" if value else "0.00"


def measured(value: Decimal, measure: Measure) -> str:
    """A figure of an outcome as its kind measures it: a rate as a percentage, else a number."""
    return percent(value) if measure.rate else number(value)


def target(result: IndicatorResult) -> str:
    """The target as the run stores it, as its kind writes it (a yearly growth rate, say, or
    the pro-rated count)."""
    return measured(result.target, rule_kind(result.kind).target_measure)


def full_target(result: IndicatorResult) -> str:
    return measured(result.full_target, rule_kind(result.kind).target_measure)


def actual(result: IndicatorResult) -> str:
    if result.actual is None:
        return "—"
    return measured(result.actual, rule_kind(result.kind).actual_measure)


def worded(value: Figure) -> str:
    """A figure of a reason (``scoring.Text``): as the stored English reasons write it, rates
    as percentages, dates as ISO dates, nothing as a dash."""
    if value is None:
        return "—"
    if isinstance(value, Rate):
        return percent(value.value)
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
