"""The verified-values rule (programme-rules.md, "Verified values (spot checks)"): each case
states the spec's sentence it holds the core to, with the figures worked out by hand; then the
core against an independent reading of the spec (``tests/verified_oracle.py``), to the cent."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.scoring import CityInput, Period, RulesetSpec, Status, evaluate, input_digest
from evaluation.scoring.types import SpotCheckPart, VerifiedValue
from evaluation.scoring.verified import stands
from tests import verified_oracle as oracle
from tests.scoring.builders import (
    MID_TERM,
    PROGRAMME_2020,
    REMAINING,
    default_ruleset,
    obs,
)

CITY = "340100"


def with_part(tolerance: str = "0.05", deduction: str = "0") -> RulesetSpec:
    return replace(
        default_ruleset(), spot_checks=SpotCheckPart(Decimal(tolerance), Decimal(deduction))
    )


def checked(indicator: str, period: str, claimed: str, verified: str) -> VerifiedValue:
    return VerifiedValue(indicator, Period.parse(period), Decimal(claimed), Decimal(verified))


# The spec's worked example: transfers and licences 1,000 in 2019 and 1,500 in 2021; SME
# transformations approved 30 in 2020 and 25 in 2021.
EXAMPLE = (
    obs("transfer_licence_count", "2019", 1000),
    obs("transfer_licence_count", "2021", 1500),
    obs("sme_transformations", "2020", 30),
    obs("sme_transformations", "2021", 25),
)


def outcome(ruleset: RulesetSpec, *verified: VerifiedValue, observations=EXAMPLE):
    city = CityInput(CITY, REMAINING, observations=tuple(observations), verified=verified)
    result = evaluate(programme=PROGRAMME_2020, ruleset=ruleset, as_of=MID_TERM, cities=[city])
    return {i.indicator: i for i in result.cities[0].indicators}, result


def test_the_default_tolerance_and_deduction_are_the_spec_s():
    assert SpotCheckPart() == SpotCheckPart(Decimal("0.05"), Decimal("0"))


def test_within_the_tolerance_the_claimed_value_stands_at_the_bound_included():
    # |V' - V| <= tau x V: 25 x 0.05 = 1.25, so 23.75 and 26.25 stand, 23.74 does not.
    assert stands(claimed=Decimal(25), verified=Decimal("23.75"), tolerance=Decimal("0.05"))
    assert stands(claimed=Decimal(25), verified=Decimal("26.25"), tolerance=Decimal("0.05"))
    assert not stands(claimed=Decimal(25), verified=Decimal("23.74"), tolerance=Decimal("0.05"))
    # With V = 0 only V' = 0 stands.
    assert stands(claimed=Decimal(0), verified=Decimal(0), tolerance=Decimal("0.05"))
    assert not stands(claimed=Decimal(0), verified=Decimal("0.01"), tolerance=Decimal("0.05"))


def test_a_value_that_stands_changes_nothing_but_is_shown():
    indicators, _ = outcome(with_part(), checked("sme_transformations", "2021", "25", "26"))
    sme = indicators["sme_transformations"]
    # 55 of 66.67: r = 0.825, 12.38 points, as in the worked example.
    assert (sme.points, sme.status, sme.actual) == (
        Decimal("12.38"),
        Status.PARTIAL,
        Decimal("55.00"),
    )
    assert not sme.discrepancy and len(sme.checks) == 1 and sme.checks[0].stands
    assert "the claimed values stand" in sme.reason


def test_beyond_it_the_verified_value_replaces_the_claimed_one_and_d_is_deducted_once():
    # 2021: 25 claimed, 15 verified; 2020: 30 claimed, 20 verified. C = 20 + 15 = 35;
    # r = 35 / 66.666… = 0.525; 15 x 0.525 = 7.875 -> 7.88; d = 2 taken once: 5.88.
    indicators, _ = outcome(
        with_part(deduction="2"),
        checked("sme_transformations", "2021", "25", "15"),
        checked("sme_transformations", "2020", "30", "20"),
    )
    sme = indicators["sme_transformations"]
    assert sme.discrepancy
    assert (sme.actual, sme.attainment, sme.status) == (
        Decimal("35.00"),
        Decimal("0.5250"),
        Status.PARTIAL,
    )
    assert (sme.points, sme.deducted) == (Decimal("5.88"), Decimal("2.00"))
    assert "2.00 points deducted, leaving 5.88" in sme.reason


def test_the_deduction_never_takes_points_below_zero_and_the_status_follows_r():
    # 2021 verified 1,000 -> 1,000 in 2019: g = 0, r = 0, missed, 0.00 points; d = 5 -> still 0.
    indicators, _ = outcome(
        with_part(deduction="5"), checked("transfer_licence_count", "2021", "1500", "1000")
    )
    transfers = indicators["transfer_licence_count"]
    assert (transfers.status, transfers.points, transfers.deducted) == (
        Status.MISSED,
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert transfers.discrepancy
    # A met indicator stays met after a deduction: 2021 verified 1,440 (beyond 1%) is exactly
    # 20% a year.
    indicators, _ = outcome(
        with_part("0.01", "1.5"), checked("transfer_licence_count", "2021", "1500", "1440")
    )
    transfers = indicators["transfer_licence_count"]
    assert (transfers.status, transfers.attainment, transfers.points) == (
        Status.MET,
        Decimal("1.0000"),
        Decimal("18.50"),
    )


def test_a_ruleset_without_the_part_ignores_spot_checks():
    spot = checked("sme_transformations", "2021", "25", "5")
    with_check, _ = outcome(default_ruleset(), spot)
    without, _ = outcome(default_ruleset())
    assert with_check == without
    assert with_check["sme_transformations"].checks == ()


def test_only_a_value_the_evaluation_reads_is_marked():
    # Growth reads the years B and B + n: a check of 2020 changes nothing.
    observations = (*EXAMPLE, obs("transfer_licence_count", "2020", 1200))
    indicators, _ = outcome(
        with_part(deduction="2"),
        checked("transfer_licence_count", "2020", "1200", "1"),
        observations=observations,
    )
    transfers = indicators["transfer_licence_count"]
    assert not transfers.discrepancy and transfers.points == Decimal("20.00")
    # A cumulative indicator does not read the baseline year.
    observations = (*EXAMPLE, obs("sme_transformations", "2019", 10))
    indicators, _ = outcome(
        with_part(deduction="2"),
        checked("sme_transformations", "2019", "10", "0"),
        observations=observations,
    )
    assert not indicators["sme_transformations"].discrepancy


def test_a_value_not_approved_changes_and_marks_nothing():
    # No approved value of 2021-03 (the approved 2021 figure is annual): nothing to replace.
    indicators, _ = outcome(
        with_part(deduction="2"), checked("sme_transformations", "2021-03", "5", "50")
    )
    sme = indicators["sme_transformations"]
    assert (sme.points, sme.discrepancy, sme.checks) == (Decimal("12.38"), False, ())


def test_a_monthly_value_replaced_changes_its_year_s_sum():
    months = [obs("sme_transformations", f"2021-{m:02d}", 2) for m in range(1, 13)]
    observations = (obs("sme_transformations", "2020", 30), *months)
    # 30 + 24 = 54; 2021-05 verified 14 instead of 2: 66 -> r = 0.99, 14.85 points.
    indicators, _ = outcome(
        with_part(), checked("sme_transformations", "2021-05", "2", "14"), observations=observations
    )
    sme = indicators["sme_transformations"]
    assert (sme.actual, sme.points) == (Decimal("66.00"), Decimal("14.85"))


def test_verified_values_count_in_the_input_digest():
    city = CityInput(CITY, REMAINING, observations=EXAMPLE)
    spot = checked("sme_transformations", "2021", "25", "15")
    plain = input_digest(programme=PROGRAMME_2020, as_of=MID_TERM, cities=[city])
    with_spot = input_digest(
        programme=PROGRAMME_2020, as_of=MID_TERM, cities=[replace(city, verified=(spot,))]
    )
    assert plain != with_spot
    _, result = outcome(with_part(), spot)
    _, again = outcome(with_part(), spot)
    assert result.input_digest == again.input_digest != outcome(with_part())[1].input_digest


CODES = tuple(oracle.CATALOGUE)
figures = st.decimals(min_value=0, max_value=5000, places=2)


@st.composite
def city_data(draw):
    """Approved values per indicator (annual or monthly per year), checks of some of them."""
    approved: dict[str, dict[str, Decimal]] = {}
    verified: dict[str, dict[str, Decimal]] = {}
    for code in draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=4, unique=True)):
        values: dict[str, Decimal] = {}
        for year in (2019, 2020, 2021):
            shape = draw(st.sampled_from(["none", "year", "months"]))
            if shape == "year":
                values[str(year)] = draw(figures)
            elif shape == "months":
                for month in range(1, 13):
                    values[f"{year}-{month:02d}"] = draw(figures)
        approved[code] = values
        labels = sorted(values)
        if labels:
            for label in draw(st.lists(st.sampled_from(labels), max_size=3, unique=True)):
                near = draw(st.booleans())
                value = values[label]
                verified.setdefault(code, {})[label] = (
                    draw(
                        st.decimals(
                            min_value=value * Decimal("0.95"),
                            max_value=value * Decimal("1.05"),
                            places=2,
                        )
                    )
                    if near and value
                    else draw(figures)
                )
    return approved, verified


@settings(max_examples=150, deadline=None)
@given(
    data=city_data(),
    tolerance=st.decimals(min_value=0, max_value=Decimal("0.5"), places=2),
    deduction=st.decimals(min_value=0, max_value=10, places=2),
)
def test_the_core_agrees_with_an_independent_reading_of_the_spec_to_the_cent(
    data, tolerance, deduction
):
    approved, verified = data
    observations = tuple(
        obs(code, label, value)
        for code, values in approved.items()
        for label, value in values.items()
    )
    spots = tuple(
        checked(code, label, str(approved[code][label]), str(value))
        for code, values in verified.items()
        for label, value in values.items()
    )
    indicators, _ = outcome(
        with_part(str(tolerance), str(deduction)), *spots, observations=observations
    )
    for code in approved:
        expected = oracle.indicator(
            code,
            approved[code],
            verified.get(code, {}),
            tolerance=oracle.Fraction(str(tolerance)),
            deduction=deduction,
        )
        got = indicators[code]
        assert (str(got.status), got.points, got.discrepancy) == (
            expected.status,
            expected.points,
            expected.discrepancy,
        ), code
