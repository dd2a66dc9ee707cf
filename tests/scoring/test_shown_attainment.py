"""A status and its attainment never contradict each other."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from evaluation.scoring import CityInput, Observation, Period, evaluate
from tests.scoring.builders import PROGRAMME_2020, default_ruleset


def test_growth_a_hair_below_target_is_partial_and_never_shows_full_attainment():
    # 1.44 is exactly 20% a year over two years; one fen less is not met.
    city = CityInput(
        city="440300",
        remaining_amount=Decimal("50000000.00"),
        observations=(
            Observation("pledge_amount", Period.parse("2019"), Decimal("100000000.00")),
            Observation("pledge_amount", Period.parse("2021"), Decimal("168999999.99")),
        ),
    )
    outcome = evaluate(
        programme=PROGRAMME_2020,
        ruleset=default_ruleset(),
        as_of=dt.date(2021, 12, 31),
        cities=[city],
    )
    pledge = next(i for i in outcome.cities[0].indicators if i.indicator == "pledge_amount")
    assert pledge.status == "partial"
    assert pledge.attainment == Decimal("0.9999")
    # The points still round half-up from the unrounded attainment: full weight.
    assert pledge.points == Decimal("10.00")
