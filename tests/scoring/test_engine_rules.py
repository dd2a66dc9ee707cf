"""The engine against the spec, case by case. Every expected number is worked out by hand from
the spec's formulas (shown next to each case), never taken from the engine."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

import pytest

from evaluation.scoring import (
    EvaluationError,
    GradeBand,
    Granularity,
    IndicatorOutcome,
    InputError,
    NothingToEvaluate,
    Observation,
    PeriodTotal,
    RulesetError,
    RulesetSpec,
    Status,
    TargetSource,
    annual_value,
    evaluate,
    summarise,
    years_elapsed,
)
from evaluation.scoring.rules import show

from .builders import (
    BINHAI,
    CHAOYANG,
    DEFAULT_BANDS,
    DEFAULT_CATALOGUE,
    HEFEI,
    INDICATOR_CODES,
    MID_TERM,
    PROGRAMME_2020,
    REMAINING,
    TAIYUAN,
    city,
    default_ruleset,
    evaluate_city,
    indicator,
    months,
    obs,
    quarters,
    rule,
)

TRANSFERS = "transfer_licence_count"  # growth, floor 20%, weight 20
PLEDGE_AMOUNT = "pledge_amount"  # growth, floor 30%, weight 10
SMES = "sme_transformations"  # cumulative, floor 100, weight 15
CERTIFIED = "certified_entities"  # cumulative, floor 200, weight 15
TRUSTEESHIP = "trusteeship_smes"  # cumulative, floor 1000, weight 2

D = Decimal


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        pytest.param(dt.date(2021, 12, 31), 2, id="mid-term-2021-12-31"),
        pytest.param(dt.date(2021, 12, 30), 1, id="day-before-2021-ends"),
        pytest.param(dt.date(2020, 12, 31), 1, id="first-year-just-ended"),
        pytest.param(dt.date(2020, 6, 30), 0, id="inside-first-year"),
        pytest.param(dt.date(2019, 12, 31), 0, id="end-of-baseline-year"),
        pytest.param(dt.date(2022, 12, 31), 3, id="last-construction-year-ended"),
        pytest.param(dt.date(2030, 1, 1), 3, id="capped-at-construction-length"),
    ],
)
def test_years_elapsed(as_of: dt.date, expected: int) -> None:
    assert years_elapsed(PROGRAMME_2020, as_of) == expected


@pytest.mark.parametrize(
    "as_of",
    [
        pytest.param(dt.date(2020, 6, 30), id="inside-first-year"),
        pytest.param(dt.date(2020, 12, 30), id="day-before-first-year-ends"),
        pytest.param(dt.date(2019, 12, 31), id="end-of-baseline-year"),
        pytest.param(dt.date(2018, 5, 1), id="before-the-baseline"),
    ],
)
def test_evaluation_before_any_year_has_ended_fails_clearly(as_of: dt.date) -> None:
    with pytest.raises(NothingToEvaluate, match="nothing to evaluate"):
        evaluate(
            programme=PROGRAMME_2020,
            ruleset=default_ruleset(),
            as_of=as_of,
            cities=[city([obs(SMES, "2020-03", 5)])],
        )


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        pytest.param(dt.date(2020, 12, 31), 1, id="n1"),
        pytest.param(dt.date(2021, 12, 31), 2, id="n2"),
        pytest.param(dt.date(2030, 1, 1), 3, id="n3-capped"),
    ],
)
def test_outcome_records_years_elapsed(as_of: dt.date, expected: int) -> None:
    outcome = evaluate(
        programme=PROGRAMME_2020, ruleset=default_ruleset(), as_of=as_of, cities=[city()]
    )

    assert outcome.years_elapsed == expected


class GrowthCase(NamedTuple):
    observations: list[Observation]
    status: Status
    actual: str
    attainment: str
    points: str
    as_of: dt.date = MID_TERM
    targets: tuple[tuple[str, str], ...] = ()


def transfers(base: str | int, final: str | int, final_year: int = 2021) -> list[Observation]:
    return [obs(TRANSFERS, "2019", base), obs(TRANSFERS, str(final_year), final)]


GROWTH_CASES = [
    # (144/100) ** (1/2) - 1 = 0.2 exactly: reaching 20% counts as "more than 20%".
    pytest.param(GrowthCase(transfers(100, 144), Status.MET, "0.2000", "1", "20.00"), id="exact"),
    # Spec's worked example: sqrt(1.5) - 1 = 0.22474..., above 20% -> capped at 1.
    pytest.param(
        GrowthCase(transfers(1000, 1500), Status.MET, "0.2247", "1", "20.00"), id="worked-example"
    ),
    # sqrt(1.4399) - 1 = 0.199958...; r = 0.999791...; 20 * r = 19.9958 -> 20.00 half-up.
    # Below the target, so partial, even though the rounded points are the full weight.
    pytest.param(
        GrowthCase(transfers(100, "143.99"), Status.PARTIAL, "0.2000", "0.9998", "20.00"),
        id="a-hair-below-target",
    ),
    # sqrt(1.43) - 1 = 0.195826...; r = 0.979130...; 20 * r = 19.5826 -> 19.58.
    pytest.param(
        GrowthCase(transfers(100, 143), Status.PARTIAL, "0.1958", "0.9791", "19.58"),
        id="below-target",
    ),
    # Committed 25%: 100 * 1.25 ** 2 = 156.25.
    pytest.param(
        GrowthCase(
            transfers(100, "156.25"),
            Status.MET,
            "0.2500",
            "1",
            "20.00",
            targets=((TRANSFERS, "0.25"),),
        ),
        id="committed-25pct-exact",
    ),
    # Committed 25%: sqrt(1.5) - 1 = 0.224744...; r = 0.898979...; 20 * r = 17.9795 -> 17.98.
    # Against the floor of 20% the same figures would be met.
    pytest.param(
        GrowthCase(
            transfers(100, 150),
            Status.PARTIAL,
            "0.2247",
            "0.8990",
            "17.98",
            targets=((TRANSFERS, "0.25"),),
        ),
        id="committed-25pct-below",
    ),
    # n = 3: 100 * 1.2 ** 3 = 172.8.
    pytest.param(
        GrowthCase(
            transfers(100, "172.8", 2022),
            Status.MET,
            "0.2000",
            "1",
            "20.00",
            as_of=dt.date(2022, 12, 31),
        ),
        id="three-years-exact",
    ),
    # n = 3: 1.72 ** (1/3) - 1 = 0.198145...; r = 0.990726...; 20 * r = 19.8145 -> 19.81.
    pytest.param(
        GrowthCase(
            transfers(100, 172, 2022),
            Status.PARTIAL,
            "0.1981",
            "0.9907",
            "19.81",
            as_of=dt.date(2022, 12, 31),
        ),
        id="three-years-below",
    ),
    # n = 1: 120 / 100 - 1 = 0.2 exactly.
    pytest.param(
        GrowthCase(
            transfers(100, 120, 2020),
            Status.MET,
            "0.2000",
            "1",
            "20.00",
            as_of=dt.date(2020, 12, 31),
        ),
        id="one-year-exact",
    ),
    # sqrt(10) - 1 = 2.162277...: far above the target, capped at 1.
    pytest.param(GrowthCase(transfers(100, 1000), Status.MET, "2.1623", "1", "20.00"), id="capped"),
    # sqrt(0.9) - 1 = -0.051316...: a decline scores nothing.
    pytest.param(
        GrowthCase(transfers(100, 90), Status.MISSED, "-0.0513", "0", "0.00"), id="decline"
    ),
    # g = 0: r = 0 when g <= 0.
    pytest.param(GrowthCase(transfers(100, 100), Status.MISSED, "0", "0", "0.00"), id="flat"),
    # Vn = 0: g = 0 ** (1/2) - 1 = -1.
    pytest.param(
        GrowthCase(transfers(100, 0), Status.MISSED, "-1.0000", "0", "0.00"), id="final-zero"
    ),
]


@pytest.mark.parametrize("case", GROWTH_CASES)
def test_growth_indicator(case: GrowthCase) -> None:
    outcome = indicator(
        evaluate_city(city(case.observations, targets=case.targets), as_of=case.as_of), TRANSFERS
    )

    assert outcome.status is case.status
    assert outcome.actual == D(case.actual)
    assert outcome.attainment == D(case.attainment)
    assert str(outcome.points) == case.points


def test_growth_of_final_value_zero_shows_minus_one() -> None:
    outcome = indicator(evaluate_city(city(transfers(100, 0))), TRANSFERS)

    assert str(outcome.actual) == "-1.0000"
    assert str(outcome.points) == "0.00"


class AnnualCase(NamedTuple):
    observations: list[Observation]
    base_value: str
    final_value: str
    status: Status
    points: str


ANNUAL_CASES = [
    pytest.param(
        AnnualCase(
            [obs(TRANSFERS, "2019", 100), *quarters(TRANSFERS, 2021, [30, 40, 35, 39])],
            "100",
            "144",
            Status.MET,
            "20.00",
        ),
        id="final-from-4-quarters",
    ),
    pytest.param(
        AnnualCase(
            [obs(TRANSFERS, "2019", 100), *months(TRANSFERS, 2021, [12] * 12)],
            "100",
            "144",
            Status.MET,
            "20.00",
        ),
        id="final-from-12-months",
    ),
    pytest.param(
        AnnualCase(
            [*quarters(TRANSFERS, 2019, [25] * 4), obs(TRANSFERS, "2021", 144)],
            "100",
            "144",
            Status.MET,
            "20.00",
        ),
        id="baseline-from-quarters",
    ),
    pytest.param(
        AnnualCase(
            [*months(TRANSFERS, 2019, [8] * 11 + [12]), *quarters(TRANSFERS, 2021, [36] * 4)],
            "100",
            "144",
            Status.MET,
            "20.00",
        ),
        id="baseline-months-final-quarters",
    ),
    # sqrt(143/100) - 1 = 0.195826...; 20 * 0.979130... = 19.58: the 12 months are summed.
    pytest.param(
        AnnualCase(
            [obs(TRANSFERS, "2019", 100), *months(TRANSFERS, 2021, [12] * 11 + [11])],
            "100",
            "143",
            Status.PARTIAL,
            "19.58",
        ),
        id="months-summed-below-target",
    ),
    # An incomplete middle year does not matter when n = 2.
    pytest.param(
        AnnualCase(
            [
                obs(TRANSFERS, "2019", 100),
                *months(TRANSFERS, 2020, [10] * 12, skip=[5, 6, 7]),
                obs(TRANSFERS, "2021", 144),
            ],
            "100",
            "144",
            Status.MET,
            "20.00",
        ),
        id="incomplete-2020-irrelevant",
    ),
]


@pytest.mark.parametrize("case", ANNUAL_CASES)
def test_growth_from_annual_quarterly_or_monthly_figures(case: AnnualCase) -> None:
    outcome = indicator(evaluate_city(city(case.observations)), TRANSFERS)

    assert (outcome.base_value, outcome.final_value) == (D(case.base_value), D(case.final_value))
    assert outcome.status is case.status
    assert str(outcome.points) == case.points


def test_growth_of_an_amount_summed_from_months_with_decimals() -> None:
    # 11 * 14.09 + 14.01 = 169.00 = 100.00 * 1.3 ** 2: exactly the 30% floor of pledge_amount.
    monthly = ["14.09"] * 11 + ["14.01"]
    outcome = indicator(
        evaluate_city(
            city([obs(PLEDGE_AMOUNT, "2019", "100.00"), *months(PLEDGE_AMOUNT, 2021, monthly)])
        ),
        PLEDGE_AMOUNT,
    )

    assert outcome.final_value == D("169.00")
    assert outcome.status is Status.MET
    assert str(outcome.points) == "10.00"


@pytest.mark.parametrize(
    ("observations", "expected"),
    [
        pytest.param([obs(TRANSFERS, "2021", 7)], D(7), id="annual"),
        pytest.param(quarters(TRANSFERS, 2021, [1, 2, 3, 4]), D(10), id="quarters"),
        pytest.param(months(TRANSFERS, 2021, range(1, 13)), D(78), id="months"),
        pytest.param(months(TRANSFERS, 2021, [1] * 12, skip=[12]), None, id="11-months"),
        pytest.param(quarters(TRANSFERS, 2021, [1] * 4, skip=[2]), None, id="3-quarters"),
        pytest.param([obs(TRANSFERS, "2020", 7)], None, id="other-year-only"),
    ],
)
def test_annual_value(observations: list[Observation], expected: Decimal | None) -> None:
    totals, problems = summarise(observations, as_of=dt.date(2021, 12, 31), from_year=2019)
    assert problems == []
    assert annual_value(2021, totals).value == expected


def test_a_total_that_misses_a_month_is_incomplete_whatever_else_it_lists() -> None:
    # Twelve numbers, but 0 is not a month: December is missing.
    total = PeriodTotal(TRANSFERS, 2021, Granularity.MONTH, D(78), frozenset(range(12)))

    year = annual_value(2021, [total])

    assert year.value is None
    assert year.basis == "2021 is incomplete: 11 of 12 months approved (missing 2021-12)"


@pytest.mark.parametrize(
    ("observations", "named"),
    [
        pytest.param(
            [obs(TRANSFERS, "2019", 100), *months(TRANSFERS, 2021, [12] * 12, skip=[12])],
            "2021-12",
            id="11-of-12-months",
        ),
        pytest.param(
            [obs(TRANSFERS, "2019", 100), *quarters(TRANSFERS, 2021, [36] * 4, skip=[2])],
            "2021-Q2",
            id="3-of-4-quarters",
        ),
        pytest.param(
            [*months(TRANSFERS, 2019, [10] * 12, skip=[3]), obs(TRANSFERS, "2021", 144)],
            "2019-03",
            id="baseline-missing-a-month",
        ),
        pytest.param([obs(TRANSFERS, "2021", 144)], "2019", id="no-baseline"),
        pytest.param(
            [obs(TRANSFERS, "2019", 100), obs(TRANSFERS, "2020", 120)], "2021", id="no-final-year"
        ),
        pytest.param(
            [obs(TRANSFERS, "2019", 0), obs(TRANSFERS, "2021", 144)], "2019", id="zero-baseline"
        ),
        pytest.param([], "2019", id="nothing-reported"),
    ],
)
def test_growth_not_assessable(observations: list[Observation], named: str) -> None:
    outcome = evaluate_city(city(observations))
    transfers_outcome = indicator(outcome, TRANSFERS)

    assert transfers_outcome.status is Status.NOT_ASSESSABLE
    assert transfers_outcome.actual is None
    assert transfers_outcome.attainment == 0
    assert str(transfers_outcome.points) == "0.00"
    assert named in transfers_outcome.reason
    assert TRANSFERS in [i.indicator for i in outcome.flagged]


class CumulativeCase(NamedTuple):
    indicator: str
    observations: list[Observation]
    status: Status
    target: str
    actual: str | None
    attainment: str
    points: str
    as_of: dt.date = MID_TERM
    targets: tuple[tuple[str, str], ...] = ()


CUMULATIVE_CASES = [
    # Spec's worked example: 55 / (100 * 2 / 3) = 0.825; 15 * 0.825 = 12.375 -> 12.38.
    pytest.param(
        CumulativeCase(
            SMES,
            [obs(SMES, "2020", 30), obs(SMES, "2021", 25)],
            Status.PARTIAL,
            "66.67",
            "55.00",
            "0.8250",
            "12.38",
        ),
        id="worked-example",
    ),
    pytest.param(
        CumulativeCase(
            SMES,
            [obs(SMES, "2020-03", 10), obs(SMES, "2020-11", 20), obs(SMES, "2021-Q2", 25)],
            Status.PARTIAL,
            "66.67",
            "55.00",
            "0.8250",
            "12.38",
        ),
        id="any-granularity-counts",
    ),
    pytest.param(
        CumulativeCase(
            SMES,
            [obs(SMES, "2019", 1000), obs(SMES, "2020", 30), obs(SMES, "2021", 25)],
            Status.PARTIAL,
            "66.67",
            "55.00",
            "0.8250",
            "12.38",
        ),
        id="baseline-year-ignored",
    ),
    # 200 * 2 / 3 = 133.33...: 134 is above it, 133 below: 133 * 3 / 400 = 0.9975;
    # 15 * 0.9975 = 14.9625 -> 14.96.
    pytest.param(
        CumulativeCase(
            CERTIFIED,
            [obs(CERTIFIED, "2020", 100), obs(CERTIFIED, "2021-Q3", 34)],
            Status.MET,
            "133.33",
            "134.00",
            "1",
            "15.00",
        ),
        id="just-above-pro-rated-target",
    ),
    pytest.param(
        CumulativeCase(
            CERTIFIED,
            [obs(CERTIFIED, "2020", 100), obs(CERTIFIED, "2021-Q3", 33)],
            Status.PARTIAL,
            "133.33",
            "133.00",
            "0.9975",
            "14.96",
        ),
        id="just-below-pro-rated-target",
    ),
    # Committed 150: 150 * 2 / 3 = 100 exactly; 100 reaches it, 99 gives 0.99 -> 14.85.
    pytest.param(
        CumulativeCase(
            SMES,
            [obs(SMES, "2020", 60), obs(SMES, "2021", 40)],
            Status.MET,
            "100.00",
            "100.00",
            "1",
            "15.00",
            targets=((SMES, "150"),),
        ),
        id="exactly-pro-rated-committed-target",
    ),
    pytest.param(
        CumulativeCase(
            SMES,
            [obs(SMES, "2020", 60), obs(SMES, "2021", 39)],
            Status.PARTIAL,
            "100.00",
            "99.00",
            "0.9900",
            "14.85",
            targets=((SMES, "150"),),
        ),
        id="one-below-pro-rated-committed-target",
    ),
    pytest.param(
        CumulativeCase(
            SMES, [obs(SMES, "2020", 10000)], Status.MET, "66.67", "10000.00", "1", "15.00"
        ),
        id="capped",
    ),
    # n = 1: target 100 / 3 = 33.33; 2020 + June 2021 = 33 counts, July is after the as-of
    # date: 33 * 3 / 100 = 0.99 -> 14.85.
    pytest.param(
        CumulativeCase(
            SMES,
            [obs(SMES, "2020", 30), obs(SMES, "2021-06", 3), obs(SMES, "2021-07", 50)],
            Status.PARTIAL,
            "33.33",
            "33.00",
            "0.9900",
            "14.85",
            as_of=dt.date(2021, 6, 30),
        ),
        id="month-after-as-of-ignored",
    ),
    # June ends after 2021-06-15: 30 + 2 = 32; 32 * 3 / 100 = 0.96 -> 14.40.
    pytest.param(
        CumulativeCase(
            SMES,
            [obs(SMES, "2020", 30), obs(SMES, "2021-05", 2), obs(SMES, "2021-06", 50)],
            Status.PARTIAL,
            "33.33",
            "32.00",
            "0.9600",
            "14.40",
            as_of=dt.date(2021, 6, 15),
        ),
        id="month-ending-after-as-of-ignored",
    ),
    pytest.param(
        CumulativeCase(
            SMES,
            [obs(SMES, "2020", 30), obs(SMES, "2021-Q2", 3), obs(SMES, "2021-Q3", 50)],
            Status.PARTIAL,
            "33.33",
            "33.00",
            "0.9900",
            "14.85",
            as_of=dt.date(2021, 6, 30),
        ),
        id="quarter-after-as-of-ignored",
    ),
    # 30 * 3 / 100 = 0.9 -> 13.50: the 2021 annual figure is not known by mid-2021.
    pytest.param(
        CumulativeCase(
            SMES,
            [obs(SMES, "2020", 30), obs(SMES, "2021", 50)],
            Status.PARTIAL,
            "33.33",
            "30.00",
            "0.9000",
            "13.50",
            as_of=dt.date(2021, 6, 30),
        ),
        id="annual-figure-of-unfinished-year-ignored",
    ),
    # n = 3: the full target, 30 + 25 + 45 = 100.
    pytest.param(
        CumulativeCase(
            SMES,
            [obs(SMES, "2020", 30), obs(SMES, "2021", 25), obs(SMES, "2022", 45)],
            Status.MET,
            "100.00",
            "100.00",
            "1",
            "15.00",
            as_of=dt.date(2022, 12, 31),
        ),
        id="three-years-full-target",
    ),
    # A reported zero is an approved value: assessable, and missed.
    pytest.param(
        CumulativeCase(SMES, [obs(SMES, "2020", 0)], Status.MISSED, "66.67", "0.00", "0", "0.00"),
        id="approved-zero-is-missed",
    ),
    pytest.param(
        CumulativeCase(
            SMES, [obs(SMES, "2019", 500)], Status.NOT_ASSESSABLE, "66.67", None, "0", "0.00"
        ),
        id="baseline-only-not-assessable",
    ),
    pytest.param(
        CumulativeCase(
            SMES, [obs(SMES, "2022", 500)], Status.NOT_ASSESSABLE, "66.67", None, "0", "0.00"
        ),
        id="after-as-of-only-not-assessable",
    ),
    pytest.param(
        CumulativeCase(SMES, [], Status.NOT_ASSESSABLE, "66.67", None, "0", "0.00"),
        id="nothing-reported",
    ),
    # Half-up, where half-to-even would round the other way:
    # 15 * 3 / (1000 * 2) = 0.0225; 2 * 0.0225 = 0.045 -> 0.05 (half-even: 0.04).
    pytest.param(
        CumulativeCase(
            TRUSTEESHIP,
            [obs(TRUSTEESHIP, "2020-08", 15)],
            Status.PARTIAL,
            "666.67",
            "15.00",
            "0.0225",
            "0.05",
        ),
        id="half-up-0.045",
    ),
    # 10 * 3 / 400 = 0.075; 15 * 0.075 = 1.125 -> 1.13 (half-even: 1.12).
    pytest.param(
        CumulativeCase(
            CERTIFIED,
            [obs(CERTIFIED, "2021-Q4", 10)],
            Status.PARTIAL,
            "133.33",
            "10.00",
            "0.0750",
            "1.13",
        ),
        id="half-up-1.125",
    ),
]


@pytest.mark.parametrize("case", CUMULATIVE_CASES)
def test_cumulative_indicator(case: CumulativeCase) -> None:
    outcome = indicator(
        evaluate_city(city(case.observations, targets=case.targets), as_of=case.as_of),
        case.indicator,
    )

    assert outcome.status is case.status
    assert outcome.target == D(case.target)
    assert outcome.actual == (None if case.actual is None else D(case.actual))
    assert outcome.attainment == D(case.attainment)
    assert str(outcome.points) == case.points


def test_worked_example_shows_its_numbers_in_two_decimals() -> None:
    outcome = indicator(evaluate_city(city([obs(SMES, "2020", 30), obs(SMES, "2021", 25)])), SMES)

    assert (str(outcome.target), str(outcome.actual), str(outcome.attainment)) == (
        "66.67",
        "55.00",
        "0.8250",
    )
    assert "66.67" in outcome.reason
    assert "12.38" in outcome.reason


@pytest.mark.parametrize(
    ("code", "targets", "source", "full_target"),
    [
        pytest.param(TRANSFERS, (), TargetSource.FLOOR, "0.20", id="growth-floor"),
        pytest.param(
            TRANSFERS, ((TRANSFERS, "0.25"),), TargetSource.COMMITTED, "0.25", id="growth-committed"
        ),
        pytest.param(
            TRANSFERS, ((TRANSFERS, "0.20"),), TargetSource.COMMITTED, "0.20", id="growth-at-floor"
        ),
        pytest.param(SMES, (), TargetSource.FLOOR, "100", id="cumulative-floor"),
        pytest.param(
            SMES, ((SMES, "150"),), TargetSource.COMMITTED, "150", id="cumulative-committed"
        ),
        pytest.param(
            SMES, ((TRANSFERS, "0.25"),), TargetSource.FLOOR, "100", id="other-indicator-committed"
        ),
    ],
)
def test_target_is_committed_or_the_floor(
    code: str, targets: tuple[tuple[str, str], ...], source: TargetSource, full_target: str
) -> None:
    outcome = indicator(evaluate_city(city(targets=targets)), code)

    assert outcome.target_source is source
    assert outcome.full_target == D(full_target)


def test_committed_cumulative_target_is_pro_rated() -> None:
    # 150 * 2 / 3 = 100; 55 / 100 = 0.55; 15 * 0.55 = 8.25.
    outcome = indicator(
        evaluate_city(
            city([obs(SMES, "2020", 30), obs(SMES, "2021", 25)], targets=[(SMES, "150")])
        ),
        SMES,
    )

    assert (outcome.target, outcome.attainment, outcome.points) == (
        D("100.00"),
        D("0.5500"),
        D("8.25"),
    )


@pytest.mark.parametrize(
    ("code", "target"),
    [
        pytest.param(TRANSFERS, "0.15", id="growth"),
        pytest.param(SMES, "99", id="cumulative"),
        pytest.param("operation_centres", "2", id="small-cumulative"),
    ],
)
def test_committed_target_below_the_floor_is_an_input_error(code: str, target: str) -> None:
    with pytest.raises(InputError) as raised:
        evaluate_city(city(code=TAIYUAN, targets=[(code, target)]))

    (message,) = raised.value.messages
    assert TAIYUAN in message
    assert code in message


@pytest.mark.parametrize(
    ("observations", "named"),
    [
        pytest.param(
            [obs(TRANSFERS, "2020", 100), obs(TRANSFERS, "2020-Q1", 20)],
            [TRANSFERS, "2020"],
            id="annual-and-quarter",
        ),
        pytest.param(
            [*quarters(TRANSFERS, 2021, [1, 2, 3]), obs(TRANSFERS, "2021-12", 4)],
            [TRANSFERS, "2021"],
            id="quarters-and-month",
        ),
        pytest.param(
            [obs(SMES, "2021-03", 1), obs(SMES, "2021-03", 2)],
            [SMES, "2021-03"],
            id="duplicate-period",
        ),
        pytest.param(
            [obs(SMES, "2021", 5), obs(SMES, "2021", 5)], [SMES, "2021"], id="duplicate-same-value"
        ),
        pytest.param([obs(SMES, "2020-05", -1)], [SMES, "2020-05"], id="negative-value"),
    ],
)
def test_input_error(observations: list[Observation], named: list[str]) -> None:
    with pytest.raises(InputError) as raised:
        evaluate_city(city(observations, code=HEFEI))

    assert len(raised.value.messages) == 1
    for text in [HEFEI, *named]:
        assert text in raised.value.messages[0]


def test_every_input_error_of_every_city_is_reported_at_once() -> None:
    cities = [
        city([obs(SMES, "2020-05", -1)], code=BINHAI),
        city(
            [obs(TRANSFERS, "2020", 100), obs(TRANSFERS, "2020-Q1", 20)],
            code=HEFEI,
            targets=[(SMES, "10")],
        ),
    ]

    with pytest.raises(InputError) as raised:
        evaluate(programme=PROGRAMME_2020, ruleset=default_ruleset(), as_of=MID_TERM, cities=cities)

    assert len(raised.value.messages) == 3
    assert sum(BINHAI in m for m in raised.value.messages) == 1
    assert sum(HEFEI in m for m in raised.value.messages) == 2


def test_input_and_ruleset_errors_are_evaluation_errors() -> None:
    assert issubclass(InputError, EvaluationError)
    assert issubclass(RulesetError, EvaluationError)
    assert issubclass(NothingToEvaluate, EvaluationError)


def single_indicator_ruleset(bands: tuple[GradeBand, ...] = DEFAULT_BANDS) -> RulesetSpec:
    # Floor 15000 over 3 years: the mid-term target is 15000 * 2 / 3 = 10000, so C SMEs score
    # 100 * C / 10000 = C / 100 points: 5999 -> 59.99.
    return RulesetSpec("single", (rule(SMES, "cumulative", "15000", "100"),), bands)


@pytest.mark.parametrize(
    ("count", "score", "grade", "amount", "decision"),
    [
        pytest.param(0, "0.00", "poor", "0.00", "withhold", id="0.00"),
        pytest.param(5999, "59.99", "poor", "0.00", "withhold", id="59.99"),
        pytest.param(6000, "60.00", "fair", "30000000.00", "release", id="60.00"),
        pytest.param(7999, "79.99", "fair", "30000000.00", "release", id="79.99"),
        pytest.param(8000, "80.00", "good", "40000000.00", "release", id="80.00"),
        pytest.param(8999, "89.99", "good", "40000000.00", "release", id="89.99"),
        pytest.param(9000, "90.00", "excellent", "50000000.00", "release", id="90.00"),
        pytest.param(10000, "100.00", "excellent", "50000000.00", "release", id="100.00"),
    ],
)
def test_grade_and_release_at_band_edges(
    count: int, score: str, grade: str, amount: str, decision: str
) -> None:
    outcome = evaluate_city(city([obs(SMES, "2020", count)]), ruleset=single_indicator_ruleset())

    assert str(outcome.score) == score
    assert outcome.grade == grade
    assert str(outcome.amount) == amount
    assert outcome.decision == decision


def test_worked_example_city_on_the_default_ruleset() -> None:
    outcome = evaluate_city(
        city(
            [
                obs(TRANSFERS, "2019", 1000),
                obs(TRANSFERS, "2021", 1500),
                obs(SMES, "2020", 30),
                obs(SMES, "2021", 25),
            ]
        )
    )

    # 20.00 + 12.38; the eight indicators without data score 0 and are flagged.
    assert str(outcome.score) == "32.38"
    assert (outcome.grade, outcome.decision, str(outcome.amount)) == ("poor", "withhold", "0.00")
    assert {i.indicator for i in outcome.flagged} == set(INDICATOR_CODES) - {TRANSFERS, SMES}
    assert "contract_turnover" in outcome.reason


def all_met_observations(codes: tuple[str, ...] = INDICATOR_CODES) -> list[Observation]:
    kinds = {code: kind for code, kind, _, _ in DEFAULT_CATALOGUE}
    observations: list[Observation] = []
    for code in codes:
        if kinds[code] == "growth":
            observations += [obs(code, "2019", 100), obs(code, "2021", 1000)]
        else:
            observations.append(obs(code, "2020", 10000))
    return observations


@pytest.mark.parametrize(
    ("met", "score", "grade", "amount"),
    [
        pytest.param(INDICATOR_CODES, "100.00", "excellent", "50000000.00", id="everything-met"),
        # 20 + 10 + 10 + 20 + 15 + 3 + 2 = 80.00.
        pytest.param(
            (
                TRANSFERS,
                PLEDGE_AMOUNT,
                "pledge_projects",
                "contract_turnover",
                SMES,
                "securitization_products",
                TRUSTEESHIP,
            ),
            "80.00",
            "good",
            "40000000.00",
            id="exactly-80",
        ),
        # 20 + 10 + 10 + 20 = 60.00.
        pytest.param(
            (TRANSFERS, PLEDGE_AMOUNT, "pledge_projects", "contract_turnover"),
            "60.00",
            "fair",
            "30000000.00",
            id="growth-only-60",
        ),
    ],
)
def test_total_is_the_sum_of_points_on_the_default_ruleset(
    met: tuple[str, ...], score: str, grade: str, amount: str
) -> None:
    outcome = evaluate_city(city(all_met_observations(met)))

    assert str(outcome.score) == score
    assert (outcome.grade, str(outcome.amount)) == (grade, amount)
    assert outcome.decision == "release"


def test_release_amount_is_rounded_half_up_to_the_fen() -> None:
    # 12,345,678.91 * 0.6 = 7,407,407.346 -> 7,407,407.35.
    outcome = evaluate_city(
        city([obs(SMES, "2020", 6000)], remaining=D("12345678.91")),
        ruleset=single_indicator_ruleset(),
    )

    assert str(outcome.amount) == "7407407.35"


def test_nothing_remaining_is_withheld_even_when_excellent() -> None:
    outcome = evaluate_city(
        city([obs(SMES, "2020", 10000)], remaining=D("0.00")), ruleset=single_indicator_ruleset()
    )

    assert outcome.grade == "excellent"
    assert (str(outcome.amount), outcome.decision) == ("0.00", "withhold")


def test_a_band_that_releases_nothing_withholds() -> None:
    bands = (
        GradeBand("excellent", D("90"), D("1")),
        GradeBand("good", D("80"), D("0.8")),
        GradeBand("fair", D("60"), D("0")),
        GradeBand("poor", D("0"), D("0")),
    )

    outcome = evaluate_city(
        city([obs(SMES, "2020", 6000)]), ruleset=single_indicator_ruleset(bands)
    )

    assert outcome.grade == "fair"
    assert (str(outcome.amount), outcome.decision) == ("0.00", "withhold")


def test_every_indicator_appears_for_every_city_in_ruleset_order() -> None:
    cities = [
        city(all_met_observations(), code=CHAOYANG),
        city([obs(SMES, "2020", 3)], code=BINHAI),
        city(code=HEFEI),
    ]

    outcome = evaluate(
        programme=PROGRAMME_2020, ruleset=default_ruleset(), as_of=MID_TERM, cities=cities
    )

    assert {c.city for c in outcome.cities} == {CHAOYANG, BINHAI, HEFEI}
    for city_outcome in outcome.cities:
        assert tuple(i.indicator for i in city_outcome.indicators) == INDICATOR_CODES


def test_indicators_follow_the_ruleset_order_not_a_fixed_one() -> None:
    ruleset = default_ruleset()
    reversed_ruleset = RulesetSpec("reversed", ruleset.indicators[::-1], ruleset.bands)

    outcome = evaluate_city(city(all_met_observations()), ruleset=reversed_ruleset)

    assert tuple(i.indicator for i in outcome.indicators) == INDICATOR_CODES[::-1]


def test_indicators_outside_the_ruleset_are_not_scored() -> None:
    outcome = evaluate_city(
        city([obs("patent_pool_members", "2020", 99999), obs(SMES, "2020", 6000)]),
        ruleset=single_indicator_ruleset(),
    )

    assert [i.indicator for i in outcome.indicators] == [SMES]
    assert str(outcome.score) == "60.00"


def with_indicator(kind: str = "cumulative", floor: str = "100") -> RulesetSpec:
    return RulesetSpec("broken", (rule(SMES, kind, floor, "100"),), DEFAULT_BANDS)


@pytest.mark.parametrize(
    ("ruleset", "named"),
    [
        pytest.param(with_indicator(kind="ratio"), "ratio", id="unknown-kind"),
        pytest.param(with_indicator(floor="0"), "floor", id="floor-zero"),
        pytest.param(with_indicator(floor="-0.1"), "floor", id="floor-negative"),
        pytest.param(
            RulesetSpec(
                "no-zero-band",
                (rule(SMES, "cumulative", "100", "100"),),
                (GradeBand("pass", D("60"), D("1")), GradeBand("fail", D("10"), D("0"))),
            ),
            r"band.*\b0\b",
            id="no-band-from-0",
        ),
    ],
)
def test_ruleset_error(ruleset: RulesetSpec, named: str) -> None:
    # The city reaches every target, so the ruleset is refused for what it is, not for a total
    # that happens to fall outside the bands.
    reaching = city([obs(SMES, "2020", 100_000)])

    with pytest.raises(RulesetError, match=named):
        evaluate(programme=PROGRAMME_2020, ruleset=ruleset, as_of=MID_TERM, cities=[reaching])


def test_remaining_amount_recorded_per_city() -> None:
    outcome = evaluate(
        programme=PROGRAMME_2020,
        ruleset=single_indicator_ruleset(),
        as_of=MID_TERM,
        cities=[
            city([obs(SMES, "2020", 9000)], code=CHAOYANG, remaining=REMAINING),
            city([obs(SMES, "2020", 9000)], code=BINHAI, remaining=D("20000000.00")),
        ],
    )

    amounts = {c.city: str(c.amount) for c in outcome.cities}
    assert amounts == {CHAOYANG: "50000000.00", BINHAI: "20000000.00"}


@pytest.mark.parametrize("first", ["-0", "0"])
def test_a_weight_of_zero_reads_the_same_whatever_was_scored_before(first: str) -> None:
    # -0 == 0, so the two share a key in the core's caches of repeated figures; the text must
    # still be what formatting that very weight gives, in whichever order they are scored.
    def scored(weight: str) -> IndicatorOutcome:
        ruleset = RulesetSpec(
            label=f"weight {weight}",
            indicators=tuple(
                rule(
                    code,
                    kind,
                    floor,
                    {"operation_centres": weight, "trusteeship_smes": "4"}.get(code, w),
                )
                for code, kind, floor, w in DEFAULT_CATALOGUE
            ),
            bands=DEFAULT_BANDS,
        )
        return indicator(evaluate_city(city(), ruleset=ruleset), "operation_centres")

    second = "0" if first == "-0" else "-0"
    outcomes = {first: scored(first), second: scored(second)}

    for weight, outcome in outcomes.items():
        assert outcome.reason.endswith(f"0.00 of {show(D(weight))} points; flagged for review.")
