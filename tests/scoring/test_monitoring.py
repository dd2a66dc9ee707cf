"""The dual monitoring at a date, in the pure core: attainment so far against each indicator's
path (its kind's), spending so far against the plan so far, and the deviation flags. Every
expected number is worked out by hand beside its case."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from evaluation.scoring.monitoring import monitor_city, planned_so_far
from evaluation.scoring.rules import months_elapsed

from .builders import (
    PROGRAMME_2020,
    city_with_parts,
    default_ruleset,
    obs,
    spending,
)

D = Decimal
HALF = D("0.50")
MID_2021 = dt.date(2021, 6, 30)


@pytest.mark.parametrize(
    ("as_of", "months"),
    [
        (dt.date(2019, 12, 31), 0),
        (dt.date(2020, 1, 30), 0),
        (dt.date(2020, 1, 31), 1),
        (MID_2021, 18),
        (dt.date(2022, 12, 31), 36),
        (dt.date(2030, 1, 1), 36),
    ],
)
def test_construction_months_ended(as_of, months):
    assert months_elapsed(PROGRAMME_2020, as_of) == months


@pytest.mark.parametrize(
    ("plan", "as_of", "planned"),
    [
        # 2020's 30M in full, half of 2021's 45M: 52.5M.
        ([(2020, "30000000"), (2021, "45000000")], MID_2021, Fraction(52_500_000)),
        # A year without a row counts 0: nothing of 2020, half of 2021's 40M.
        ([(2021, "40000000")], MID_2021, Fraction(20_000_000)),
        # No plan: the 100M tranche over 36 months, 18 of them: 50M.
        ([], MID_2021, Fraction(50_000_000)),
        # Three months into 2020: a quarter of 2020's 30M.
        ([(2020, "30000000")], dt.date(2020, 3, 31), Fraction(7_500_000)),
    ],
)
def test_the_money_planned_by_a_date(plan, as_of, planned):
    assert planned_so_far(city_with_parts(plan=plan), PROGRAMME_2020, as_of) == planned


def test_a_city_on_course_is_not_flagged():
    """Mid-2021, SMEs (target 100 over 36 months): 18 months' path 50; 60 approved is 1.2.
    Spending 30M of a 52.5M plan so far: 0.5714."""
    city = city_with_parts(
        [obs("sme_transformations", "2020", "60")],
        plan=[(2020, "30000000"), (2021, "45000000")],
        expenditure=spending(("2020", "30000000"), as_of=MID_2021),
    )

    so_far = monitor_city(
        city,
        ruleset=default_ruleset(),
        programme=PROGRAMME_2020,
        as_of=MID_2021,
        attainment_threshold=HALF,
        execution_threshold=HALF,
    )

    smes = next(i for i in so_far.indicators if i.indicator == "sme_transformations")
    assert (smes.so_far, smes.path, smes.ratio) == (D(60), D("50.00"), D("1.2000"))
    assert (so_far.spent, so_far.planned, so_far.execution) == (
        D("30000000.00"),
        D("52500000.00"),
        D("0.5714"),
    )
    assert (so_far.attainment_low, so_far.execution_low, so_far.both_low) == (False, False, False)


def test_a_city_behind_on_both_may_have_its_payment_suspended():
    """Transfers (growth, floor 20%, weight 20): 2019 1000, 2020 1000 against the path
    1000 x 1.2 = 1200: 0.8333. SMEs (weight 15): 10 against 50: 0.2. Certified entities
    (weight 15): 20 against 200 x 18 / 36 = 100: 0.2. The rest cannot be said yet. Attainment
    (20 x 0.8333… + 15 x 0.2 + 15 x 0.2) / 50 = 0.4533. Spending 10M of 50M (the tranche pro
    rata, no plan): 0.2."""
    city = city_with_parts(
        [
            obs("transfer_licence_count", "2019", "1000"),
            obs("transfer_licence_count", "2020", "1000"),
            obs("sme_transformations", "2021-03", "10"),
            obs("certified_entities", "2020", "20"),
        ],
        expenditure=spending(("2021-Q1", "10000000"), as_of=MID_2021),
    )

    so_far = monitor_city(
        city,
        ruleset=default_ruleset(),
        programme=PROGRAMME_2020,
        as_of=MID_2021,
        attainment_threshold=HALF,
        execution_threshold=HALF,
    )

    ratios = {i.indicator: i.ratio for i in so_far.indicators}
    assert ratios["transfer_licence_count"] == D("0.8333")
    assert ratios["pledge_amount"] is None  # no complete baseline: cannot be said yet
    assert (so_far.attainment, so_far.execution) == (D("0.4533"), D("0.2000"))
    assert so_far.both_low


def test_the_thresholds_are_the_rulesets_not_fixed():
    city = city_with_parts(expenditure=spending(("2021-Q1", "10000000"), as_of=MID_2021))

    lenient = monitor_city(
        city,
        ruleset=default_ruleset(),
        programme=PROGRAMME_2020,
        as_of=MID_2021,
        attainment_threshold=HALF,
        execution_threshold=D("0.20"),
    )

    assert (lenient.execution, lenient.execution_low) == (D("0.2000"), False)
    assert lenient.attainment is None and not lenient.attainment_low
