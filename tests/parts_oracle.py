"""An independent reading of programme-rules.md for a ruleset with all three kinds of parts
(output indicators, budget execution, tasks scored by an expert panel), written from the spec
alone, for the end-to-end tests to hold the system to: it shares no code with the scoring
core. Growth roots with Python's ``decimal`` square root, everything else exact fractions,
each figure rounded half-up once."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from fractions import Fraction

B, L, N = 2019, 3, 2  # the 2020 programme at its mid-term: baseline, length, years elapsed

# The ruleset with parts (tests/parts.py): 70% of the default weights, budget execution 10,
# compulsory tasks 8 and 2, optional tasks sharing W = 10; grade bands 90/80/60 releasing
# 100/80/60%.
OUTPUTS = {
    "transfer_licence_count": ("growth", Fraction(20, 100), Fraction(14)),
    "pledge_amount": ("growth", Fraction(30, 100), Fraction(7)),
    "pledge_projects": ("growth", Fraction(30, 100), Fraction(7)),
    "contract_turnover": ("growth", Fraction(40, 100), Fraction(14)),
    "sme_transformations": ("cumulative", Fraction(100), Fraction(21, 2)),
    "certified_entities": ("cumulative", Fraction(200), Fraction(21, 2)),
    "securitization_products": ("cumulative", Fraction(1), Fraction(21, 10)),
    "navigation_projects": ("cumulative", Fraction(5), Fraction(21, 10)),
    "trusteeship_smes": ("cumulative", Fraction(1000), Fraction(14, 10)),
    "operation_centres": ("cumulative", Fraction(3), Fraction(14, 10)),
}
BUDGET_WEIGHT = Fraction(10)
COMPULSORY = {"platform": Fraction(8), "talent": Fraction(2)}
OPTIONAL_WEIGHT = Fraction(10)
BANDS = [
    (90, "excellent", Fraction(1)),
    (80, "good", Fraction(8, 10)),
    (60, "fair", Fraction(6, 10)),
]


@dataclass
class City:
    """A city's data as its files and pages give it."""

    annual: dict[str, dict[int, Decimal]] = field(default_factory=dict)
    targets: dict[str, Decimal] = field(default_factory=dict)
    plan: dict[int, Decimal] = field(default_factory=dict)
    spent: dict[str, Decimal] = field(default_factory=dict)
    chosen: list[str] = field(default_factory=list)
    scores: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    first_tranche: Decimal = Decimal("100000000")
    remaining: Decimal = Decimal("50000000")


def half_up(value: Fraction, places: int) -> Decimal:
    scaled = value * 10**places
    return Decimal(math.floor(scaled + Fraction(1, 2))).scaleb(-places)


@dataclass(frozen=True)
class Line:
    status: str
    points: Decimal
    actual: Decimal | None


def _status(r: Fraction) -> str:
    return "met" if r >= 1 else "partial" if r > 0 else "missed"


def growth(values: dict[int, Decimal], target: Fraction, weight: Fraction) -> Line:
    v0, vn = values.get(B), values.get(B + N)
    if v0 is None or vn is None or v0 == 0:
        return Line("not_assessable", Decimal("0.00"), None)
    met = Fraction(vn) >= Fraction(v0) * (1 + target) ** N
    with localcontext() as ctx:
        ctx.prec = 60
        g = (vn / v0).sqrt() - 1
    if met:
        r = Fraction(1)
    elif g <= 0:
        r = Fraction(0)
    else:
        r = min(Fraction(1), Fraction(g) / target)
    return Line(_status(r), half_up(weight * r, 2), half_up(Fraction(g), 4))


def cumulative(values: dict[int, Decimal], target: Fraction, weight: Fraction) -> Line:
    counted = [v for year, v in values.items() if year > B]
    if not counted:
        return Line("not_assessable", Decimal("0.00"), None)
    total = sum((Fraction(v) for v in counted), Fraction(0))
    r = min(Fraction(1), total / (target * N / L))
    return Line(_status(r), half_up(weight * r, 2), half_up(total, 2))


def budget(city: City) -> Line:
    planned = [Fraction(v) for year, v in city.plan.items() if B < year <= B + N]
    p = sum(planned, Fraction(0)) if planned else Fraction(city.first_tranche) * N / L
    if not city.spent:
        return Line("not_assessable", Decimal("0.00"), None)
    e = sum((Fraction(v) for v in city.spent.values()), Fraction(0)) / p
    return Line(
        _status(min(Fraction(1), e)), half_up(BUDGET_WEIGHT * min(Fraction(1), e), 2), half_up(e, 4)
    )


def task(scores: dict[str, Decimal], weight: Fraction) -> Line:
    if not scores:
        return Line("not_assessable", Decimal("0.00"), None)
    values = sorted(Fraction(s) for s in scores.values())
    if len(values) >= 5:
        values = values[1:-1]  # the single lowest and the single highest
    mean = sum(values, Fraction(0)) / len(values)
    return Line(_status(mean), half_up(weight * mean, 2), half_up(mean, 4))


@dataclass(frozen=True)
class Verdict:
    lines: dict[str, Line]
    score: Decimal
    grade: str
    amount: Decimal


def evaluate(city: City) -> Verdict:
    lines: dict[str, Line] = {}
    for code, (kind, floor, weight) in OUTPUTS.items():
        target = Fraction(city.targets[code]) if code in city.targets else floor
        values = city.annual.get(code, {})
        lines[code] = (growth if kind == "growth" else cumulative)(values, target, weight)
    lines["budget_execution"] = budget(city)
    for code, weight in COMPULSORY.items():
        lines[code] = task(city.scores.get(code, {}), weight)
    for code in city.chosen:
        lines[code] = task(city.scores.get(code, {}), OPTIONAL_WEIGHT / len(city.chosen))
    score = sum((line.points for line in lines.values()), Decimal(0))
    grade, share = next(((g, s) for low, g, s in BANDS if score >= low), ("poor", Fraction(0)))
    return Verdict(lines, score, grade, half_up(Fraction(city.remaining) * share, 2))
