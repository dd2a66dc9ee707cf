"""The decimal arithmetic of the scoring core.

Every operation that can round names ``CONTEXT`` explicitly, so the caller's own decimal
context (its precision, rounding or traps) never changes a score, an amount or a digest.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import ROUND_CEILING, ROUND_HALF_UP, Context, Decimal
from fractions import Fraction

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


def round_fraction(value: Fraction, places: int) -> Decimal:
    """The exact fraction ``value`` rounded half-up (a half away from zero) to ``places``
    decimals: the one rounding of a figure computed as an exact fraction (a mean of expert
    scores, an execution rate against a pro-rated plan), never a rounded intermediate."""
    scaled = abs(value) * 10**places
    whole = math.floor(scaled + Fraction(1, 2))
    return Decimal(whole if value >= 0 else -whole).scaleb(-places, context=CONTEXT)
