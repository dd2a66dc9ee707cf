"""Inputs for the scoring engine built the way the spec states them: the 2020 programme, its
default ruleset of 10 indicators, and cities with approved values per period."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from evaluation.scoring import (
    CityInput,
    CityOutcome,
    GradeBand,
    IndicatorOutcome,
    IndicatorRule,
    Observation,
    PanelScore,
    Period,
    PeriodTotal,
    ProgrammeSpec,
    RulesetSpec,
    Task,
    evaluate,
    summarise,
)

PROGRAMME_2020 = ProgrammeSpec("2020", 2019, 3)
MID_TERM = dt.date(2021, 12, 31)
REMAINING = Decimal("50000000.00")

CHAOYANG = "110105"
BINHAI = "120116"
TAIYUAN = "140100"
HEFEI = "340100"

# code, kind, national floor, weight: the spec's table of the default catalogue.
DEFAULT_CATALOGUE: tuple[tuple[str, str, str, str], ...] = (
    ("transfer_licence_count", "growth", "0.20", "20"),
    ("pledge_amount", "growth", "0.30", "10"),
    ("pledge_projects", "growth", "0.30", "10"),
    ("contract_turnover", "growth", "0.40", "20"),
    ("sme_transformations", "cumulative", "100", "15"),
    ("certified_entities", "cumulative", "200", "15"),
    ("securitization_products", "cumulative", "1", "3"),
    ("navigation_projects", "cumulative", "5", "3"),
    ("trusteeship_smes", "cumulative", "1000", "2"),
    ("operation_centres", "cumulative", "3", "2"),
)
INDICATOR_CODES = tuple(code for code, _, _, _ in DEFAULT_CATALOGUE)
# Amounts in 10,000 yuan may carry 2 decimals; every other indicator is a count.
AMOUNT_INDICATORS = frozenset({"pledge_amount", "contract_turnover"})

DEFAULT_BANDS = (
    GradeBand("excellent", Decimal("90"), Decimal("1")),
    GradeBand("good", Decimal("80"), Decimal("0.8")),
    GradeBand("fair", Decimal("60"), Decimal("0.6")),
    GradeBand("poor", Decimal("0"), Decimal("0")),
)


def rule(code: str, kind: str, floor: str, weight: str) -> IndicatorRule:
    return IndicatorRule(code, kind, Decimal(floor), Decimal(weight))


def default_ruleset(bands: Sequence[GradeBand] = DEFAULT_BANDS) -> RulesetSpec:
    return RulesetSpec(
        label="2020-default-v1",
        indicators=tuple(rule(*row) for row in DEFAULT_CATALOGUE),
        bands=tuple(bands),
    )


def obs(indicator: str, period: str, value: str | int | Decimal) -> Observation:
    return Observation(indicator, Period.parse(period), Decimal(value))


def months(
    indicator: str, year: int, values: Iterable[str | int], *, skip: Iterable[int] = ()
) -> list[Observation]:
    """Monthly observations of one year, January first, leaving out the months in ``skip``."""
    left_out = set(skip)
    return [
        obs(indicator, f"{year}-{number:02d}", value)
        for number, value in enumerate(values, start=1)
        if number not in left_out
    ]


def quarters(
    indicator: str, year: int, values: Iterable[str | int], *, skip: Iterable[int] = ()
) -> list[Observation]:
    left_out = set(skip)
    return [
        obs(indicator, f"{year}-Q{number}", value)
        for number, value in enumerate(values, start=1)
        if number not in left_out
    ]


def city(
    observations: Iterable[Observation] = (),
    *,
    code: str = CHAOYANG,
    targets: Iterable[tuple[str, str]] = (),
    remaining: Decimal = REMAINING,
) -> CityInput:
    return CityInput(
        city=code,
        remaining_amount=remaining,
        targets=tuple((indicator, Decimal(value)) for indicator, value in targets),
        observations=tuple(observations),
    )


def evaluate_city(
    city_input: CityInput,
    *,
    as_of: dt.date = MID_TERM,
    ruleset: RulesetSpec | None = None,
    programme: ProgrammeSpec = PROGRAMME_2020,
) -> CityOutcome:
    outcome = evaluate(
        programme=programme,
        ruleset=ruleset or default_ruleset(),
        as_of=as_of,
        cities=[city_input],
    )
    (only,) = outcome.cities
    return only


def indicator(outcome: CityOutcome, code: str) -> IndicatorOutcome:
    (found,) = [i for i in outcome.indicators if i.indicator == code]
    return found


# The optional parts of a ruleset (programme-rules.md, "Beyond the output indicators") ---------

BUDGET = "budget_execution"
FIRST_TRANCHE = Decimal("100000000.00")

# A ruleset with all three kinds of parts: the output indicators at 70 points, budget execution
# at 10, two compulsory tasks at 8 and 2, and three optional tasks sharing 10.
PARTS_CATALOGUE: tuple[tuple[str, str, str, str], ...] = (
    ("transfer_licence_count", "growth", "0.20", "14"),
    ("pledge_amount", "growth", "0.30", "7"),
    ("pledge_projects", "growth", "0.30", "7"),
    ("contract_turnover", "growth", "0.40", "14"),
    ("sme_transformations", "cumulative", "100", "10"),
    ("certified_entities", "cumulative", "200", "10"),
    ("securitization_products", "cumulative", "1", "2"),
    ("navigation_projects", "cumulative", "5", "2"),
    ("trusteeship_smes", "cumulative", "1000", "2"),
    ("operation_centres", "cumulative", "3", "2"),
    (BUDGET, BUDGET, "1", "10"),
)
COMPULSORY = (Task("platform", True, Decimal(8)), Task("talent", True, Decimal(2)))
OPTIONAL = (Task("training", False), Task("fund", False), Task("navigation_service", False))


def parts_ruleset(
    *,
    indicators: Sequence[tuple[str, str, str, str]] = PARTS_CATALOGUE,
    tasks: Sequence[Task] = (*COMPULSORY, *OPTIONAL),
    optional_task_weight: str = "10",
) -> RulesetSpec:
    return RulesetSpec(
        label="2020-parts-v2",
        indicators=tuple(rule(*row) for row in indicators),
        bands=DEFAULT_BANDS,
        tasks=tuple(tasks),
        optional_task_weight=Decimal(optional_task_weight),
    )


def spending(
    *entries: tuple[str, str | int], as_of: dt.date = MID_TERM, from_year: int = 2020
) -> tuple[PeriodTotal, ...]:
    """Approved expenditure per period, summed as the database sums it (periods after the
    baseline year that ended by ``as_of``)."""
    totals, problems = summarise(
        [obs(BUDGET, period, amount) for period, amount in entries],
        as_of=as_of,
        from_year=from_year,
    )
    assert not problems, problems
    return totals


def scores(task: str, *values: str, experts: Sequence[str] | None = None) -> list[PanelScore]:
    """``values`` as the scores of experts ``e1``, ``e2``… (or ``experts``) for ``task``."""
    names = experts or [f"e{i}" for i in range(1, len(values) + 1)]
    return [
        PanelScore(task, name, Decimal(value)) for name, value in zip(names, values, strict=True)
    ]


def city_with_parts(
    observations: Iterable[Observation] = (),
    *,
    code: str = CHAOYANG,
    first_tranche: Decimal | None = FIRST_TRANCHE,
    plan: Iterable[tuple[int, str | int]] = (),
    expenditure: Iterable[PeriodTotal] = (),
    panel: Iterable[PanelScore] = (),
    optional: Iterable[str] = ("training",),
) -> CityInput:
    return CityInput(
        city=code,
        remaining_amount=REMAINING,
        observations=tuple(observations),
        first_tranche=first_tranche,
        plan=tuple((year, Decimal(amount)) for year, amount in plan),
        expenditure=tuple(expenditure),
        panel_scores=tuple(panel),
        optional_tasks=tuple(optional),
    )
