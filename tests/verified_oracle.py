"""An independent reading of programme-rules.md, "Verified values (spot checks)", for the
default catalogue of the 2020 programme at its mid-term, written from the spec alone for the
tests to hold the system to: it shares no code with the scoring core. Exact fractions
throughout (growth roots with Python's ``decimal`` square root), each figure rounded half-up
once, as the spec says."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

B, L, N = 2019, 3, 2  # baseline, construction years, years elapsed at 2021-12-31

# code: (kind, national floor, weight), the spec's table.
CATALOGUE = {
    "transfer_licence_count": ("growth", Fraction(20, 100), Fraction(20)),
    "pledge_amount": ("growth", Fraction(30, 100), Fraction(10)),
    "pledge_projects": ("growth", Fraction(30, 100), Fraction(10)),
    "contract_turnover": ("growth", Fraction(40, 100), Fraction(20)),
    "sme_transformations": ("cumulative", Fraction(100), Fraction(15)),
    "certified_entities": ("cumulative", Fraction(200), Fraction(15)),
    "securitization_products": ("cumulative", Fraction(1), Fraction(3)),
    "navigation_projects": ("cumulative", Fraction(5), Fraction(3)),
    "trusteeship_smes": ("cumulative", Fraction(1000), Fraction(2)),
    "operation_centres": ("cumulative", Fraction(3), Fraction(2)),
}


def half_up(value: Fraction, places: int) -> Decimal:
    scaled = value * 10**places
    return Decimal(math.floor(scaled + Fraction(1, 2))).scaleb(-places)


@dataclass(frozen=True)
class Line:
    status: str
    points: Decimal
    discrepancy: bool


def _year(label: str) -> int:
    return int(label[:4])


def indicator(
    code: str,
    approved: dict[str, Decimal],
    verified: dict[str, Decimal],
    *,
    tolerance: Fraction,
    deduction: Decimal,
) -> Line:
    """``approved``: the approved values by period label (one granularity per year, every
    period ended by 2021-12-31); ``verified``: the checker's figures by period label."""
    kind, target, weight = CATALOGUE[code]
    read_years = {B, B + N} if kind == "growth" else {B + 1, B + 2}
    counted: dict[str, Fraction] = {}
    discrepancy = False
    for label, value in approved.items():
        figure = Fraction(value)
        if label in verified and _year(label) in read_years:
            checked = Fraction(verified[label])
            if abs(checked - figure) > tolerance * figure:
                figure, discrepancy = checked, True
        counted[label] = figure

    def annual(year: int) -> Fraction | None:
        labels = [label for label in counted if _year(label) == year]
        if len(labels) in (1, 4, 12):
            return sum((counted[label] for label in labels), Fraction(0))
        return None

    if kind == "growth":
        v0, vn = annual(B), annual(B + N)
        if v0 is None or vn is None or v0 == 0:
            return Line("not_assessable", Decimal("0.00"), discrepancy)
        if vn >= v0 * (1 + target) ** N:
            r = Fraction(1)
        else:
            with localcontext() as ctx:
                ctx.prec = 60
                ratio = (
                    Decimal(vn.numerator)
                    * v0.denominator
                    / (Decimal(vn.denominator) * v0.numerator)
                )
                g = Fraction(ratio.sqrt() - 1)
            r = Fraction(0) if g <= 0 else min(Fraction(1), g / target)
    else:
        in_window = [v for label, v in counted.items() if _year(label) in read_years]
        if not in_window:
            return Line("not_assessable", Decimal("0.00"), discrepancy)
        r = min(Fraction(1), sum(in_window, Fraction(0)) / (target * N / L))
    status = "met" if r >= 1 else "partial" if r > 0 else "missed"
    points = half_up(weight * r, 2)
    if discrepancy:
        points = max(Decimal("0.00"), points - deduction)
    return Line(status, points, discrepancy)
