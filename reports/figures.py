"""How the stored numbers are written in documents, in one place: pages, PDFs, the reason
texts and the tests all format a figure the same way. Nothing is rounded again: the run
stores growth fractions and attainment with 4 decimals, so a percentage with 2 is exact."""

from __future__ import annotations

from decimal import Decimal

from evaluation.models import IndicatorResult
from evaluation.scoring.rules import show
from evaluation.vocabulary import RuleKind

TWO = Decimal("0.01")


def percent(fraction: Decimal) -> str:
    return f"{(fraction * 100).quantize(TWO)}%"


def number(value: Decimal) -> str:
    return f"{value.quantize(TWO):f}"


def money(value: Decimal) -> str:
    """Yuan with thousands separators and the fen: 40,000,000.00 (as the reasons write it)."""
    return show(value)


def signed(value: Decimal) -> str:
    """A change in score: +2.50, -1.25, 0.00."""
    return f"{value.quantize(TWO):+.2f}" if value else "0.00"


def target(result: IndicatorResult) -> str:
    """Growth targets as a yearly percentage; cumulative ones as the pro-rated count."""
    return percent(result.target) if result.kind == RuleKind.GROWTH else number(result.target)


def full_target(result: IndicatorResult) -> str:
    return (
        percent(result.full_target)
        if result.kind == RuleKind.GROWTH
        else number(result.full_target)
    )


def actual(result: IndicatorResult) -> str:
    if result.actual is None:
        return "—"
    return percent(result.actual) if result.kind == RuleKind.GROWTH else number(result.actual)
