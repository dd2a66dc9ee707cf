"""The decimal arithmetic of the scoring core.

Every operation that can round names ``CONTEXT`` explicitly, so the caller's own decimal
context (its precision, rounding or traps) never changes a score, an amount or a digest.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_CEILING, ROUND_HALF_UP, Context, Decimal

# Working precision: far beyond any value the programme reports (16 digits), so every sum and
# every comparison that decides a status is exact.
PRECISION = 50
CONTEXT = Context(prec=PRECISION)

ONE = Decimal(1)
ZERO = Decimal(0)
HUNDRED = Decimal(100)
FOUR_PLACES = Decimal("0.0001")
TWO_PLACES = Decimal("0.01")


def quantize(value: Decimal, places: Decimal) -> Decimal:
    """``value`` rounded half-up to ``places`` (the rounding every shown number uses)."""
    return value.quantize(places, rounding=ROUND_HALF_UP, context=CONTEXT)


def decimal_sum(values: Iterable[Decimal]) -> Decimal:
    total = ZERO
    for value in values:
        total = CONTEXT.add(total, value)
    return total


def round_up(value: Decimal, places: int) -> Decimal:
    """``value`` rounded up (towards +∞) to ``places`` decimals."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_CEILING, context=CONTEXT)
