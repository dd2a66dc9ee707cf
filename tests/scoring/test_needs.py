"""What is still needed, worked out by hand from the rules (table-driven, no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from evaluation.scoring import Granularity, PeriodTotal, ProgrammeSpec
from evaluation.scoring.needs import next_evaluation_date, round_up, still_needed

P2020 = ProgrammeSpec(code="2020", baseline_year=2019, construction_years=3)
MIDTERM = dt.date(2021, 12, 31)


def year(indicator: str, y: int, total: str) -> PeriodTotal:
    return PeriodTotal(indicator, y, Granularity.YEAR, Decimal(total), frozenset({0}))


def months(indicator: str, y: int, total: str, present: range) -> PeriodTotal:
    return PeriodTotal(indicator, y, Granularity.MONTH, Decimal(total), frozenset(present))


@pytest.mark.parametrize(
    ("target", "totals", "places", "required", "so_far", "needed"),
    [
        # 100 SMEs over 3 years: 66.67 due at the mid-term, a count rounds up to 67.
        ("100", [year("x", 2020, "30"), year("x", 2021, "25")], 0, "67", "55", "12"),
        # The baseline year never counts towards a cumulative total.
        ("100", [year("x", 2019, "500"), year("x", 2020, "30")], 0, "67", "30", "37"),
        # Already beyond the pro-rated target: nothing more is needed, never a negative.
        ("3", [year("x", 2020, "5")], 0, "2", "5", "0"),
        # Months of a year that is still running count as they are approved.
        ("200", [months("x", 2021, "40", range(1, 4))], 0, "134", "40", "94"),
        # An amount keeps two decimals: 1000 x 2/3 = 666.666… rounds up to 666.67.
        ("1000", [], 2, "666.67", "0", "666.67"),
        # Another indicator's figures are not this one's.
        ("3", [year("y", 2020, "9")], 0, "2", "0", "2"),
    ],
)
def test_cumulative(target, totals, places, required, so_far, needed):
    need = still_needed(
        indicator="x",
        kind="cumulative",
        target=Decimal(target),
        programme=P2020,
        by=MIDTERM,
        totals=totals,
        places=places,
    )
    assert (need.required, need.so_far, need.needed) == (
        Decimal(required),
        Decimal(so_far),
        Decimal(needed),
    )
    assert need.target_year is None
    assert need.is_met == (Decimal(needed) == 0)


@pytest.mark.parametrize(
    ("target", "totals", "places", "required", "so_far", "needed"),
    [
        # 1000 in 2019 at 20% a year: 2021 must reach 1000 x 1.2² = 1440.
        ("0.20", [year("x", 2019, "1000"), year("x", 2021, "900")], 0, "1440", "900", "540"),
        # 144/100 over two years is exactly 20%: 144 is what is needed, not 145.
        ("0.20", [year("x", 2019, "100")], 0, "144", "0", "144"),
        # 30% on 7 projects: 7 x 1.69 = 11.83, a count rounds up to 12.
        ("0.30", [year("x", 2019, "7"), months("x", 2021, "5", range(1, 7))], 0, "12", "5", "7"),
        # An amount: 333.33 x 1.96 = 653.3268, rounded up to the fen: 653.33.
        ("0.40", [year("x", 2019, "333.33")], 2, "653.33", "0", "653.33"),
        # Reached already.
        ("0.20", [year("x", 2019, "100"), year("x", 2021, "150")], 0, "144", "150", "0"),
        # 2020 is not the target year at the mid-term: its figures are not counted towards 2021.
        ("0.20", [year("x", 2019, "100"), year("x", 2020, "150")], 0, "144", "0", "144"),
    ],
)
def test_growth(target, totals, places, required, so_far, needed):
    need = still_needed(
        indicator="x",
        kind="growth",
        target=Decimal(target),
        programme=P2020,
        by=MIDTERM,
        totals=totals,
        places=places,
    )
    assert need.target_year == 2021
    assert (need.required, need.so_far, need.needed) == (
        Decimal(required),
        Decimal(so_far),
        Decimal(needed),
    )


@pytest.mark.parametrize(
    "totals",
    [
        [],  # no baseline at all
        [months("x", 2019, "80", range(1, 12))],  # November and December missing
        [year("x", 2019, "0")],  # a zero baseline: growth cannot be measured
    ],
)
def test_growth_without_a_complete_baseline_cannot_say(totals):
    need = still_needed(
        indicator="x",
        kind="growth",
        target=Decimal("0.2"),
        programme=P2020,
        by=MIDTERM,
        totals=totals,
        places=0,
    )
    assert need.required is None and need.needed is None and not need.is_met


def test_nothing_can_be_said_before_a_year_has_elapsed_by_the_date():
    need = still_needed(
        indicator="x",
        kind="cumulative",
        target=Decimal("100"),
        programme=P2020,
        by=dt.date(2020, 6, 30),
        totals=[year("x", 2020, "3")],
        places=0,
    )
    assert (need.required, need.so_far, need.needed) == (None, Decimal(3), None)


def test_an_unknown_kind_is_an_error():
    with pytest.raises(ValueError, match="unknown rule kind"):
        still_needed(
            indicator="x",
            kind="other",
            target=Decimal(1),
            programme=P2020,
            by=MIDTERM,
            totals=[],
            places=0,
        )


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2020, 7, 1), MIDTERM),
        (MIDTERM, MIDTERM),
        (dt.date(2022, 1, 1), dt.date(2022, 12, 31)),
        (dt.date(2030, 1, 1), dt.date(2022, 12, 31)),
    ],
)
def test_the_next_evaluation_date(today, expected):
    assert next_evaluation_date(P2020, [MIDTERM], today) == expected


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [("66.666", 0, "67"), ("66", 0, "66"), ("1.001", 2, "1.01"), ("1.00", 2, "1.00")],
)
def test_round_up(value, places, expected):
    assert round_up(Decimal(value), places) == Decimal(expected)
