"""The forecast (``scoring.forecast``, the kinds' ``project``): constructed series whose
projection is worked out by hand from the method the README states, and properties that hold
for any series (the likely figures lie within the range; with every month approved the
forecast is the evaluation itself)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.scoring import InputError, NothingToEvaluate, rule_kind
from evaluation.scoring.forecast import forecast_city, grade_need
from evaluation.scoring.rules import Context
from tests.scoring.builders import (
    DEFAULT_BANDS,
    DEFAULT_CATALOGUE,
    MID_TERM,
    PROGRAMME_2020,
    city,
    default_ruleset,
    evaluate_city,
    months,
    obs,
    quarters,
)

CONTEXT = Context(programme=PROGRAMME_2020, as_of=MID_TERM, years_elapsed=2)
GROWTH = rule_kind("growth")
CUMULATIVE = rule_kind("cumulative")
T = "transfer_licence_count"
C = "certified_entities"


def project_growth(observations):
    return GROWTH.project(context=CONTEXT, indicator=T, observations=observations)


def project_cumulative(observations, context=CONTEXT):
    return CUMULATIVE.project(context=context, indicator=C, observations=observations)


# Growth: the year B + n projected ----------------------------------------------------------


def test_growth_compares_the_months_so_far_with_the_same_months_of_the_baseline():
    # 2019 by month: 100 a month, 1,200 in all; 2021 January-June: 720 against 600.
    series = months(T, 2019, [100] * 12) + months(T, 2021, [100, 120, 110, 130, 125, 135])

    projection = project_growth(series)

    assert projection.figure == Decimal("1440.00")  # 720 x 1,200 / 600
    assert projection.so_far == 720
    assert projection.months_left == 6
    assert projection.basis.key == "growth.forecast_same_months"
    assert projection.basis.figures["reference_year"] == 2019


def test_growth_uses_the_latest_earlier_year_with_those_months_when_the_baseline_is_annual():
    # 2019 as one annual figure; 2020 by month, heavier in the second half (its first half is
    # 400 of 1,200): 2021's first half of 600 points to 1,800.
    series = [
        obs(T, "2019", 1000),
        *months(T, 2020, [50, 50, 50, 100, 75, 75, 150, 150, 150, 50, 150, 150]),
        *months(T, 2021, [100] * 6),
    ]

    projection = project_growth(series)

    assert projection.figure == Decimal("1800.00")
    assert projection.basis.figures["reference_year"] == 2020


def test_growth_falls_back_on_the_run_rate_when_no_year_has_the_same_months():
    series = [obs(T, "2019", 1000), obs(T, "2020", 1100), *months(T, 2021, [90, 110, 100])]

    projection = project_growth(series)

    assert projection.figure == Decimal("1200.00")  # 300 over 3 months, times 12
    assert projection.basis.key == "growth.forecast_run_rate"


def test_growth_range_is_the_spread_of_the_months_over_the_months_to_come():
    # Months 90, 110, 100: standard deviation 10; nine months to come: 10 x 3 = 30 either way.
    series = [obs(T, "2019", 1000), obs(T, "2020", 1100), *months(T, 2021, [90, 110, 100])]

    projection = project_growth(series)

    assert (projection.low_figure, projection.high_figure) == (
        Decimal("1170.00"),
        Decimal("1230.00"),
    )


def test_a_complete_year_is_not_projected():
    series = [obs(T, "2019", 1000), *quarters(T, 2021, [300, 300, 300, 300])]

    projection = project_growth(series)

    assert (projection.figure, projection.low_figure, projection.high_figure) == (1200,) * 3
    assert not projection.projected


def test_with_nothing_of_the_year_the_latest_complete_year_grows_on_at_its_pace():
    # 1,000 to 1,210 in one year: 21% a year; carried on to 2021: 1,464.10.
    series = [obs(T, "2019", 1000), obs(T, "2020", 1210)]

    projection = project_growth(series)

    assert projection.figure == Decimal("1464.10")
    assert projection.basis.key == "growth.forecast_carried_on"


def test_with_nothing_of_the_year_a_part_year_is_taken_whole_then_grown_on():
    # Forecast to 2022-12-31 in mid-2021: 2021's six months (660 against 600 in the same
    # months of 2020) make 1,320; from 1,200 in 2019 that is sqrt(1.1) a year, so 2022 ends
    # at 1,320 x sqrt(1.1).
    series = [
        obs(T, "2019", 1200),
        *months(T, 2020, [100] * 12),
        *months(T, 2021, [110] * 6),
    ]
    final = Context(programme=PROGRAMME_2020, as_of=dt.date(2022, 12, 31), years_elapsed=3)

    projection = GROWTH.project(context=final, indicator=T, observations=series)

    expected = Decimal(1320) * Decimal("1.1").sqrt()
    assert projection.figure == expected.quantize(Decimal("0.01"))
    assert projection.basis.figures["how"].key == "growth.forecast_same_months"
    assert projection.months_left == 18


@pytest.mark.parametrize(
    "series, key",
    [
        (months(T, 2021, [100] * 6), "growth.forecast_no_baseline"),
        ([obs(T, "2019", 0), *months(T, 2021, [100] * 6)], "growth.forecast_no_baseline"),
        ([obs(T, "2019", 1000)], "growth.forecast_nothing_yet"),
    ],
)
def test_growth_that_cannot_be_forecast_says_why(series, key):
    projection = project_growth(series)

    assert projection.figure is None and projection.basis.key == key


# Cumulative: the total since the baseline year at the monthly pace ------------------------


def test_cumulative_goes_on_at_the_average_monthly_pace():
    # 2020: 4 a month (48); 2021 January-June: 30. 78 over 18 months: 13/3 a month; six months
    # to come: 26 more, 104 in all.
    series = months(C, 2020, [4] * 12) + months(C, 2021, [5, 3, 6, 4, 5, 7])

    projection = project_cumulative(series)

    assert projection.figure == Decimal("104.00")
    assert projection.so_far == 78 and projection.months_left == 6
    assert projection.basis.figures["pace"] == "4.33"


def test_cumulative_counts_a_quarter_as_three_months_and_a_late_month_as_missing():
    # 2020 by quarter (30 over 12 months); 2021 January-May and July (March missing, late):
    # 15 over 5 months more; 45 over 17 months; 7 months missing.
    series = quarters(C, 2020, [6, 9, 6, 9]) + months(C, 2021, [3, 3, 0, 3, 3, 0, 3], skip=[3, 6])

    projection = project_cumulative(series)

    assert projection.so_far == 45
    assert projection.months_left == 7
    expected = Decimal(45) + Decimal(45) / 17 * 7
    assert projection.figure == expected.quantize(Decimal("0.01"))


def test_cumulative_range_is_the_spread_of_the_monthly_values():
    # Monthly values 2 and 4 (and nothing else): spread sqrt(2); 22 months to come.
    series = months(C, 2020, [2, 4])
    spread = Decimal(2).sqrt() * Decimal(22).sqrt()

    projection = project_cumulative(series)

    assert projection.figure == Decimal("72.00")  # 6 + 22 x 3
    assert projection.high_figure == (Decimal(72) + spread).quantize(Decimal("0.01"))
    assert projection.low_figure == (Decimal(72) - spread).quantize(Decimal("0.01"))


def test_cumulative_with_nothing_approved_cannot_be_forecast():
    projection = project_cumulative([obs(C, "2019", 50)])

    assert projection.figure is None
    assert projection.basis.key == "cumulative.forecast_nothing_yet"


# A city's forecast --------------------------------------------------------------------------


def every_indicator(monthly_2021_first_half: bool = True):
    """A city with every indicator: growth ones with a 2019 annual figure and 2020 by month,
    cumulative ones by month since 2020; 2021 up to June."""
    series = []
    last = 6 if monthly_2021_first_half else 12
    for code, kind, _floor, _weight in DEFAULT_CATALOGUE:
        if kind == "growth":
            series += [obs(code, "2019", 1000), *months(code, 2020, [100] * 12)]
            series += months(code, 2021, [110] * last)
        else:
            series += months(code, 2020, [2] * 12) + months(code, 2021, [2] * last)
    return city(series)


def test_with_every_month_approved_the_forecast_is_the_evaluation():
    complete = every_indicator(monthly_2021_first_half=False)

    forecast = forecast_city(
        programme=PROGRAMME_2020, ruleset=default_ruleset(), by=MID_TERM, city=complete
    )
    evaluated = evaluate_city(complete)

    assert (forecast.tier.score, forecast.tier.grade, forecast.tier.amount) == (
        evaluated.score,
        evaluated.grade,
        evaluated.amount,
    )
    assert forecast.low == forecast.tier == forecast.high
    assert forecast.risk == 0


def test_a_city_forecast_scores_the_projected_figures_with_the_evaluations_rules():
    half = every_indicator()
    forecast = forecast_city(
        programme=PROGRAMME_2020, ruleset=default_ruleset(), by=MID_TERM, city=half
    )
    # The growth indicators: 660 in six months against 600 a year earlier: 1,320 in 2021,
    # scored exactly as a run at that date would score an annual 1,320.
    growth = {i.indicator: i for i in forecast.indicators}[T]
    assert growth.projection.figure == Decimal("1320.00")
    evaluated = evaluate_city(city([obs(T, "2019", 1000), obs(T, "2021", "1320.00")]))
    assert growth.likely == {i.indicator: i for i in evaluated.indicators}[T]
    assert forecast.low.score <= forecast.tier.score <= forecast.high.score


def test_the_risk_is_the_share_of_the_range_below_the_grades_floor():
    ruleset = default_ruleset()
    forecast = forecast_city(
        programme=PROGRAMME_2020, ruleset=ruleset, by=MID_TERM, city=every_indicator()
    )
    floor = forecast.tier.min_score
    low, high = forecast.low.score, forecast.high.score
    expected = max(Decimal(0), floor - low) / (high - low) if high > low else Decimal(0)

    assert forecast.risk.quantize(Decimal("0.0001")) == expected.quantize(Decimal("0.0001"))
    assert forecast.may_fall == (forecast.low.grade != forecast.tier.grade)


def test_what_it_takes_to_reach_the_next_grade_is_the_least_that_does():
    subject = every_indicator()
    ruleset = default_ruleset()
    forecast = forecast_city(programme=PROGRAMME_2020, ruleset=ruleset, by=MID_TERM, city=subject)
    places = {code: 0 for code, *_ in DEFAULT_CATALOGUE}

    need = grade_need(
        forecast=forecast, programme=PROGRAMME_2020, ruleset=ruleset, city=subject, places=places
    )

    assert need is not None
    above = min(
        (b for b in DEFAULT_BANDS if b.min_score > forecast.tier.min_score),
        key=lambda b: b.min_score,
    )
    assert need.grade == above.grade
    assert need.shortfall == above.min_score - forecast.tier.score
    assert need.options, "some indicator can close the gap alone"
    items = {i.indicator: i for i in forecast.indicators}
    rules = {r.indicator: r for r in ruleset.indicators}
    context = Context(programme=PROGRAMME_2020, as_of=MID_TERM, years_elapsed=2)
    for option in need.options:
        item = items[option.indicator]
        kind = rule_kind(rules[option.indicator].kind)
        others = forecast.tier.score - item.likely.points

        def total(extra, item=item, kind=kind, others=others, option=option):
            outcome = kind.assess(
                context=context,
                rule=rules[option.indicator],
                target=item.target,
                source=item.target_source,
                totals=item.projection.with_extra(extra),
                city=subject,
            )
            return others + outcome.points

        assert total(option.extra) >= above.min_score
        assert total(option.extra - 1) < above.min_score


def test_the_highest_grade_needs_nothing():
    ruleset = default_ruleset(bands=[b for b in DEFAULT_BANDS if b.grade == "poor"])
    forecast = forecast_city(
        programme=PROGRAMME_2020, ruleset=ruleset, by=MID_TERM, city=every_indicator()
    )

    assert (
        grade_need(
            forecast=forecast,
            programme=PROGRAMME_2020,
            ruleset=ruleset,
            city=every_indicator(),
            places={},
        )
        is None
    )


def test_a_forecast_refuses_what_an_evaluation_refuses():
    below_floor = city(months(T, 2021, [1] * 3), targets=[(T, "0.10")])
    with pytest.raises(InputError, match="below the national floor"):
        forecast_city(
            programme=PROGRAMME_2020, ruleset=default_ruleset(), by=MID_TERM, city=below_floor
        )
    with pytest.raises(NothingToEvaluate):
        forecast_city(
            programme=PROGRAMME_2020,
            ruleset=default_ruleset(),
            by=dt.date(2020, 6, 30),
            city=every_indicator(),
        )


def test_a_kind_without_a_method_is_forecast_on_the_figures_as_they_stand():
    from tests.scoring.ceiling_kind import CeilingRule

    projection = CeilingRule().project(
        context=CONTEXT, indicator=C, observations=months(C, 2020, [1, 2])
    )

    assert projection.figure is None and projection.extra_year is None
    assert projection.basis.key == "forecast.as_approved"
    assert sum(t.total for t in projection.likely) == 3


# Properties ---------------------------------------------------------------------------------

monthly = st.lists(st.integers(min_value=0, max_value=500), min_size=1, max_size=24)


@settings(max_examples=60, deadline=None)
@given(values=monthly, base=st.integers(min_value=1, max_value=5000))
def test_the_likely_figure_lies_within_its_range_and_never_below_what_is_approved(values, base):
    first, rest = values[:12], values[12:]
    growth = [obs(T, "2019", base), *months(T, 2020, first), *months(T, 2021, rest)]
    cumulative = months(C, 2020, first) + months(C, 2021, rest)
    for projection in (project_growth(growth), project_cumulative(cumulative)):
        if projection.figure is None:
            continue
        assert projection.low_figure <= projection.figure <= projection.high_figure
        assert projection.low_figure >= projection.so_far.quantize(Decimal("0.01"))


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=18))
def test_each_indicators_points_lie_within_its_range(values):
    series = []
    for code, kind, _floor, _weight in DEFAULT_CATALOGUE:
        if kind == "growth":
            series += [obs(code, "2019", 100), *months(code, 2020, values[:12])]
            series += months(code, 2021, values[12:])
        else:
            series += months(code, 2020, values[:12]) + months(code, 2021, values[12:])
    forecast = forecast_city(
        programme=PROGRAMME_2020, ruleset=default_ruleset(), by=MID_TERM, city=city(series)
    )
    for item in forecast.indicators:
        assert item.low_points <= item.likely.points <= item.high_points <= item.likely.weight
    assert Decimal(0) <= forecast.risk <= Decimal(1)
