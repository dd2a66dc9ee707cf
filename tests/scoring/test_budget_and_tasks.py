"""The two rule kinds beyond the output indicators, against programme-rules.md ("Budget
execution", "Tasks scored by an expert panel", "Precisions for the three parts"), case by
case. Every expected number is worked out by hand from the spec's formulas, shown beside each
case; none is taken from the engine.

The 2020 programme: baseline B = 2019, L = 3 construction years, the mid-term as of
2021-12-31 so n = 2; each city's first tranche is 100,000,000 yuan. ``parts_ruleset`` weighs
the output indicators 70, budget execution 10, the compulsory tasks ``platform`` 8 and
``talent`` 2, and the optional tasks ``training``, ``fund`` and ``navigation_service`` share
W = 10.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.scoring import (
    CityInput,
    InputError,
    PanelMark,
    RulesetError,
    Status,
    TargetSource,
    Task,
    evaluate,
    input_digest,
)
from evaluation.scoring.decimals import round_fraction
from evaluation.scoring.engine import check_indicator_rules

from .builders import (
    CHAOYANG,
    FIRST_TRANCHE,
    MID_TERM,
    PARTS_CATALOGUE,
    PROGRAMME_2020,
    city_with_parts,
    evaluate_city,
    indicator,
    obs,
    parts_ruleset,
    rule,
    scores,
    spending,
)

D = Decimal
BUDGET = "budget_execution"


# Budget execution ---------------------------------------------------------------------------


class BudgetCase(NamedTuple):
    plan: list[tuple[int, str]]
    spent: list[tuple[str, str | int]]
    status: Status
    source: TargetSource
    target: str  # P to the fen
    actual: str | None  # e to 4 places
    attainment: str
    points: str  # of a weight of 10


BUDGET_CASES = {
    # No plan: P = 100,000,000 x 2 / 3 = 66,666,666.666…; S = 20,000,000 + 4 x 7,500,000 =
    # 50,000,000; e = 50,000,000 x 3 / 200,000,000 = 0.75 exactly; 10 x 0.75 = 7.50.
    "no-plan-tranche-pro-rated": BudgetCase(
        [],
        [("2020", "20000000"), *((f"2021-Q{q}", "7500000") for q in range(1, 5))],
        Status.PARTIAL,
        TargetSource.TRANCHE,
        "66666666.67",
        "0.7500",
        "0.7500",
        "7.50",
    ),
    # Planned 30,000,000 + 45,000,000 = 75,000,000 for 2020-2021 (2022's 25,000,000 not yet);
    # spent exactly that: e = 1, met, full points.
    "exactly-100-percent-spent": BudgetCase(
        [(2020, "30000000"), (2021, "45000000"), (2022, "25000000")],
        [*((f"2020-{m:02d}", "2500000") for m in range(1, 13)), ("2021", "45000000")],
        Status.MET,
        TargetSource.PLAN,
        "75000000.00",
        "1.0000",
        "1.0000",
        "10.00",
    ),
    # Spent 90,000,000 of the planned 75,000,000: e = 1.2, attainment capped at 1.
    "over-spent": BudgetCase(
        [(2020, "30000000"), (2021, "45000000")],
        [("2020", "40000000"), ("2021", "50000000")],
        Status.MET,
        TargetSource.PLAN,
        "75000000.00",
        "1.2000",
        "1.0000",
        "10.00",
    ),
    # A plan for 2021 only: 2020 counts 0, P = 60,000,000; e = 45,000,000 / 60,000,000 = 0.75.
    "a-year-without-a-row-counts-0": BudgetCase(
        [(2021, "60000000")],
        [("2020", "15000000"), ("2021", "30000000")],
        Status.PARTIAL,
        TargetSource.PLAN,
        "60000000.00",
        "0.7500",
        "0.7500",
        "7.50",
    ),
    # A plan for 2022 only is nothing planned for 2020-2021: the tranche pro-rated,
    # e = 10,000,000 x 3 / 200,000,000 = 0.15; 1.50 points.
    "planned-only-later-years": BudgetCase(
        [(2022, "50000000")],
        [("2021", "10000000")],
        Status.PARTIAL,
        TargetSource.TRANCHE,
        "66666666.67",
        "0.1500",
        "0.1500",
        "1.50",
    ),
    # e = 8,300,000 x 3 / 200,000,000 = 0.1245 exactly, so 10 x e = 1.245, half-up 1.25.
    # Against the shown P (66,666,666.67) e would be 0.124499999…, giving 1.24: the points come
    # from the exact fraction.
    "pro-rated-plan-exact-until-the-rounding": BudgetCase(
        [],
        [("2021-05", "8300000")],
        Status.PARTIAL,
        TargetSource.TRANCHE,
        "66666666.67",
        "0.1245",
        "0.1245",
        "1.25",
    ),
    # One fen short of the pro-rated plan: e = 66,666,666.66 x 3 / 200,000,000 = 0.9999999999,
    # shown 1.0000 (4 places, half-up) yet partial; attainment never shows 1.0000 unless met;
    # 10 x 0.9999999999 = 9.999999999 → 10.00.
    "a-fen-short-of-the-pro-rated-plan": BudgetCase(
        [],
        [("2020", "30000000"), ("2021", "36666666.66")],
        Status.PARTIAL,
        TargetSource.TRANCHE,
        "66666666.67",
        "1.0000",
        "0.9999",
        "10.00",
    ),
    # An approved record of 0: assessable, nothing spent.
    "nothing-spent": BudgetCase(
        [(2020, "30000000"), (2021, "45000000")],
        [("2020", 0)],
        Status.MISSED,
        TargetSource.PLAN,
        "75000000.00",
        "0.0000",
        "0.0000",
        "0.00",
    ),
    # No approved expenditure record at all: not assessable, 0 points, flagged.
    "no-expenditure-record": BudgetCase(
        [(2020, "30000000")],
        [],
        Status.NOT_ASSESSABLE,
        TargetSource.PLAN,
        "30000000.00",
        None,
        "0.0000",
        "0.00",
    ),
}


@pytest.mark.parametrize("case", BUDGET_CASES.values(), ids=BUDGET_CASES.keys())
def test_budget_execution(case: BudgetCase) -> None:
    outcome = evaluate_city(
        city_with_parts(plan=case.plan, expenditure=spending(*case.spent)),
        ruleset=parts_ruleset(),
    )

    budget = indicator(outcome, BUDGET)
    assert (budget.kind, budget.status, budget.target_source) == (BUDGET, case.status, case.source)
    assert str(budget.target) == case.target
    assert (None if budget.actual is None else str(budget.actual)) == case.actual
    assert (str(budget.attainment), str(budget.points), str(budget.weight)) == (
        case.attainment,
        case.points,
        "10.00",
    )
    assert (budget in outcome.flagged) is (case.status is Status.NOT_ASSESSABLE)


def test_budget_execution_reason_says_the_money_and_the_plan() -> None:
    outcome = evaluate_city(
        city_with_parts(expenditure=spending(("2021-05", "8300000"))), ruleset=parts_ruleset()
    )

    assert indicator(outcome, BUDGET).reason == (
        "8,300,000.00 yuan spent from 2020-01-01 to 2021-12-31: execution rate 12.45% of the "
        "first tranche pro-rated to 2 of 3 years, 66,666,666.67 yuan. 1.25 of 10.00 points."
    )


def test_after_one_year_the_plan_of_that_year_counts() -> None:
    # n = 1: P = 30,000,000 (2020's plan); S = 15,000,000; e = 0.5 → 5.00.
    outcome = evaluate_city(
        city_with_parts(
            plan=[(2020, "30000000"), (2021, "45000000")],
            expenditure=spending(("2020", "15000000"), as_of=dt.date(2020, 12, 31)),
        ),
        as_of=dt.date(2020, 12, 31),
        ruleset=parts_ruleset(),
    )

    budget = indicator(outcome, BUDGET)
    assert (budget.target, budget.actual, budget.points) == (
        D("30000000.00"),
        D("0.5000"),
        D("5.00"),
    )
    assert "of the planned 30,000,000.00 yuan for 2020." in budget.reason


def test_the_baseline_years_expenditure_does_not_count() -> None:
    spent = spending(("2019", "99000000"), ("2020", "30000000"), from_year=2019)
    outcome = evaluate_city(
        city_with_parts(plan=[(2020, "30000000"), (2021, "30000000")], expenditure=spent),
        ruleset=parts_ruleset(),
    )

    assert indicator(outcome, BUDGET).actual == D("0.5000")  # 30,000,000 of 60,000,000


@pytest.mark.parametrize(
    ("plan", "tranche", "why"),
    [
        pytest.param(
            [(2020, "0"), (2021, "0")],
            FIRST_TRANCHE,
            "the planned spending for 2020-2021 adds up to 0: a plan summing to 0 is an "
            "input error",
            id="a-plan-summing-to-0",
        ),
        pytest.param(
            [],
            D(0),
            "no spending is planned for 2020-2021 and the first tranche is 0, so there is no "
            "planned spending to measure the expenditure against",
            id="no-plan-and-no-tranche",
        ),
    ],
)
def test_nothing_planned_to_measure_against_is_an_input_error(plan, tranche, why) -> None:
    city = city_with_parts(plan=plan, first_tranche=tranche, expenditure=spending(("2020", "1000")))

    with pytest.raises(InputError) as refused:
        evaluate_city(city, ruleset=parts_ruleset())

    assert refused.value.messages == (f"city {CHAOYANG}: {why}",)


def test_expenditure_mixing_granularities_in_a_year_is_an_input_error() -> None:
    mixed = (*spending(("2020", "10")), *spending(("2020-Q1", "5")))

    with pytest.raises(InputError) as refused:
        evaluate_city(city_with_parts(expenditure=mixed), ruleset=parts_ruleset())

    assert refused.value.messages == (
        f"city {CHAOYANG}: the expenditure of 2020 mixes quarter and year figures",
    )


# Tasks scored by an expert panel -------------------------------------------------------------


class TaskCase(NamedTuple):
    task: str
    values: list[str]
    chosen: list[str]
    status: Status
    actual: str | None  # the panel score to 4 places
    points: str
    weight: str


TASK_CASES = {
    # Three experts, nothing dropped: (0.80 + 0.90 + 0.70) / 3 = 0.8; 8 x 0.8 = 6.40.
    "three-experts-mean": TaskCase(
        "platform", ["0.80", "0.90", "0.70"], ["training"], Status.PARTIAL, "0.8000", "6.40", "8.00"
    ),
    # Four experts, nothing dropped yet: (1 + 1 + 0.5 + 0.3) / 4 = 0.7; 8 x 0.7 = 5.60.
    "four-experts-nothing-dropped": TaskCase(
        "platform", ["1", "1", "0.5", "0.3"], ["training"], Status.PARTIAL, "0.7000", "5.60", "8.00"
    ),
    # Five experts with a tie at the top: one 0.90 and the 0.60 dropped,
    # (0.90 + 0.80 + 0.70) / 3 = 0.8; 8 x 0.8 = 6.40.
    "five-experts-ties-at-the-top": TaskCase(
        "platform",
        ["0.90", "0.90", "0.80", "0.70", "0.60"],
        ["training"],
        Status.PARTIAL,
        "0.8000",
        "6.40",
        "8.00",
    ),
    # Five experts: 0.95 and 0.10 dropped, (0.90 + 0.85 + 0.85) / 3 = 2.6 / 3 = 0.8666…,
    # shown 0.8667; 8 x 2.6 / 3 = 6.9333… → 6.93.
    "five-experts-mean-a-third": TaskCase(
        "platform",
        ["0.95", "0.90", "0.85", "0.85", "0.10"],
        ["training"],
        Status.PARTIAL,
        "0.8667",
        "6.93",
        "8.00",
    ),
    # Five full marks: two dropped, the mean is still 1: met.
    "five-full-marks": TaskCase(
        "talent", ["1"] * 5, ["training"], Status.MET, "1.0000", "2.00", "2.00"
    ),
    "scored-0": TaskCase(
        "talent", ["0", "0"], ["training"], Status.MISSED, "0.0000", "0.00", "2.00"
    ),
    # One optional task chosen of three: it carries the whole W = 10; (0.85 + 0.75) / 2 = 0.8.
    "one-optional-chosen-of-several": TaskCase(
        "fund", ["0.85", "0.75"], ["fund"], Status.PARTIAL, "0.8000", "8.00", "10.00"
    ),
    # Two chosen: 10 / 2 = 5 each; 5 x 0.33 = 1.65.
    "two-optional-chosen": TaskCase(
        "training", ["0.33"], ["training", "fund"], Status.PARTIAL, "0.3300", "1.65", "5.00"
    ),
    # Three chosen: 10 x (0 + 0 + 0.59) / 3 / 3 = 5.9 / 9 = 0.6555… → 0.66; the shown share
    # 3.33 x 0.19667 would give 0.65: the share and the mean are exact until the rounding.
    "three-optional-chosen-exact-share": TaskCase(
        "training",
        ["0", "0", "0.59"],
        ["training", "fund", "navigation_service"],
        Status.PARTIAL,
        "0.1967",
        "0.66",
        "3.33",
    ),
    # Full marks on a third of 10: 10 / 3 = 3.333… → 3.33, the shown weight too.
    "three-optional-chosen-full-marks": TaskCase(
        "fund",
        ["1", "1"],
        ["training", "fund", "navigation_service"],
        Status.MET,
        "1.0000",
        "3.33",
        "3.33",
    ),
    # No expert score: not assessable, 0 points, flagged.
    "no-expert-score": TaskCase(
        "platform", [], ["training"], Status.NOT_ASSESSABLE, None, "0.00", "8.00"
    ),
}


@pytest.mark.parametrize("case", TASK_CASES.values(), ids=TASK_CASES.keys())
def test_task_scored_by_the_panel(case: TaskCase) -> None:
    outcome = evaluate_city(
        city_with_parts(panel=scores(case.task, *case.values), optional=case.chosen),
        ruleset=parts_ruleset(),
    )

    task = indicator(outcome, case.task)
    assert (task.kind, task.status, task.target_source) == ("task", case.status, "panel")
    assert (str(task.target), task.full_target) == ("1.0000", D(1))
    assert (None if task.actual is None else str(task.actual)) == case.actual
    assert (str(task.points), str(task.weight)) == (case.points, case.weight)
    assert (task in outcome.flagged) is (case.status is Status.NOT_ASSESSABLE)


def test_a_city_is_scored_on_its_compulsory_tasks_and_the_optional_ones_it_chose() -> None:
    outcome = evaluate_city(city_with_parts(optional=["fund", "training"]), ruleset=parts_ruleset())

    codes = [i.indicator for i in outcome.indicators]
    assert codes == [code for code, *_ in PARTS_CATALOGUE] + [
        "platform",
        "talent",
        "training",
        "fund",
    ]


def test_five_experts_with_ties_mark_which_scores_were_dropped() -> None:
    panel = scores("platform", "0.90", "0.90", "0.80", "0.70", "0.60")
    outcome = evaluate_city(city_with_parts(panel=panel), ruleset=parts_ruleset())

    task = indicator(outcome, "platform")
    assert task.panel == (
        PanelMark("e1", D("0.90"), counted=False),
        PanelMark("e2", D("0.90"), counted=True),
        PanelMark("e3", D("0.80"), counted=True),
        PanelMark("e4", D("0.70"), counted=True),
        PanelMark("e5", D("0.60"), counted=False),
    )
    assert task.final_value == 5
    assert task.reason == (
        "Panel score 80.00% (the mean of the scores of 3 of 5 experts, the highest and the "
        "lowest dropped). 6.40 of 8.00 points."
    )


def test_an_optional_tasks_reason_says_it_shares_the_weight() -> None:
    panel = scores("training", "0.5", "0.7")
    outcome = evaluate_city(
        city_with_parts(panel=panel, optional=["training", "fund"]), ruleset=parts_ruleset()
    )

    training = indicator(outcome, "training")
    assert (training.base_value, training.points) == (2, D("3.00"))  # 5 x 0.6
    assert training.reason == (
        "Panel score 60.00% (the mean of the scores of 2 experts; one of the 2 optional tasks "
        "chosen, which share their points). 3.00 of 5.00 points."
    )


def test_missing_scores_are_named_per_task_in_the_citys_reason() -> None:
    """Only talent was scored: platform and the chosen training are not assessable (as is
    every output indicator and the budget, with no figures at all), each named."""
    outcome = evaluate_city(city_with_parts(panel=scores("talent", "1")), ruleset=parts_ruleset())

    assert [i.indicator for i in outcome.flagged][-3:] == [BUDGET, "platform", "training"]
    assert outcome.reason.endswith(
        "flagged for review: " + ", ".join(i.indicator for i in outcome.flagged) + "."
    )
    assert "talent" not in outcome.reason


def test_a_city_with_no_optional_task_chosen_fails_the_run_naming_it() -> None:
    others = city_with_parts(code="340100")

    with pytest.raises(InputError) as refused:
        evaluate(
            programme=PROGRAMME_2020,
            ruleset=parts_ruleset(),
            as_of=dt.date(2021, 12, 31),
            cities=[city_with_parts(optional=[]), others],
        )

    assert refused.value.messages == (
        f"city {CHAOYANG}: has chosen no optional task; a city chooses at least one in its plan",
    )


def test_a_choice_the_ruleset_does_not_have_is_not_a_choice() -> None:
    with pytest.raises(InputError, match="has chosen no optional task"):
        evaluate_city(city_with_parts(optional=["nonesuch"]), ruleset=parts_ruleset())


@pytest.mark.parametrize(
    ("given", "why"),
    [
        (
            scores("platform", "1.01"),
            "the score 1.01 of expert e1 for task platform is not a fraction from 0 to 1 with "
            "at most two decimals",
        ),
        (
            scores("platform", "0.125"),
            "the score 0.125 of expert e1 for task platform is not a fraction from 0 to 1 with "
            "at most two decimals",
        ),
        (
            scores("platform", "0.5", "0.6", experts=["e1", "e1"]),
            "expert e1 scored task platform 2 times",
        ),
    ],
    ids=["above-1", "three-decimals", "twice"],
)
def test_a_score_out_of_its_rules_is_an_input_error(given, why) -> None:
    with pytest.raises(InputError) as refused:
        evaluate_city(city_with_parts(panel=given), ruleset=parts_ruleset())

    assert refused.value.messages == (f"city {CHAOYANG}: {why}",)


def test_a_city_with_every_part_adds_up_to_its_grade() -> None:
    """Outputs at their targets (70), the plan spent (10), platform at full marks (8), talent
    half done (1), and two optional tasks chosen of W = 10: fund 1 (5) and training 0.5 (2.5):
    96.50, excellent, the whole 50,000,000 released."""
    outputs = [
        *(
            obs(code, period, value)
            for code in ("transfer_licence_count", "pledge_amount", "pledge_projects")
            for period, value in (("2019", "100"), ("2021", "200"))
        ),
        obs("contract_turnover", "2019", "100"),
        obs("contract_turnover", "2021", "196"),
        *(
            obs(code, "2020", total)
            for code, total in (
                ("sme_transformations", "67"),
                ("certified_entities", "134"),
                ("securitization_products", "1"),
                ("navigation_projects", "4"),
                ("trusteeship_smes", "667"),
                ("operation_centres", "2"),
            )
        ),
    ]
    city = city_with_parts(
        outputs,
        plan=[(2020, "30000000"), (2021, "30000000")],
        expenditure=spending(("2020", "30000000"), ("2021", "30000000")),
        panel=[
            *scores("platform", "1", "1", "1"),
            *scores("talent", "0.5"),
            *scores("fund", "1"),
            *scores("training", "0.4", "0.6"),
        ],
        optional=["fund", "training"],
    )

    outcome = evaluate_city(city, ruleset=parts_ruleset())

    assert [str(i.points) for i in outcome.indicators][-5:] == [
        "10.00",
        "8.00",
        "1.00",
        "2.50",
        "5.00",
    ]
    assert (outcome.score, outcome.grade, outcome.amount) == (
        D("96.50"),
        "excellent",
        D("50000000.00"),
    )


# Rulesets with these parts ------------------------------------------------------------------


def test_the_weights_of_all_the_parts_add_up_to_100() -> None:
    ruleset = parts_ruleset()
    assert (
        check_indicator_rules(
            ruleset.indicators,
            tasks=ruleset.tasks,
            optional_task_weight=ruleset.optional_task_weight,
        )
        == []
    )
    assert check_indicator_rules(
        ruleset.indicators, tasks=ruleset.tasks, optional_task_weight=D(12)
    ) == ["the weights add up to 102, not 100"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        pytest.param(
            {"tasks": (*parts_ruleset().tasks, Task("platform", True, D(0)))},
            "task platform appears twice",
            id="a-task-twice",
        ),
        pytest.param(
            {"tasks": (*parts_ruleset().tasks, Task("pledge_amount", True, D(0)))},
            "task pledge_amount: an indicator has this code",
            id="a-task-named-like-an-indicator",
        ),
        pytest.param(
            {"optional_task_weight": D(0)},
            "optional_task_weight must be above 0 when there are optional tasks",
            id="optional-tasks-without-their-weight",
        ),
        pytest.param(
            {
                "tasks": (*parts_ruleset().tasks[:2], Task("extra", True, D(10))),
                "optional_task_weight": D(10),
            },
            "optional_task_weight is given but the ruleset has no optional task",
            id="a-weight-for-no-optional-task",
        ),
        pytest.param(
            {"tasks": (*parts_ruleset().tasks, Task("own_weight", False, D(1)))},
            "task own_weight: an optional task has no weight of its own; it shares "
            "optional_task_weight with the other optional tasks a city chose",
            id="an-optional-task-with-a-weight",
        ),
        pytest.param(
            {"indicators": (*parts_ruleset().indicators[:-1], rule(BUDGET, BUDGET, "0.8", "10"))},
            "indicator budget_execution: a rule of kind budget_execution has the floor 1",
            id="a-budget-floor-other-than-1",
        ),
        pytest.param(
            {
                "indicators": (
                    *parts_ruleset().indicators[:-1],
                    rule("operation_centres_2", BUDGET, "1", "10"),
                )
            },
            "indicator operation_centres_2: kind budget_execution scores budget_execution only",
            id="budget-kind-on-another-indicator",
        ),
        pytest.param(
            {
                "indicators": (
                    *parts_ruleset().indicators[:-1],
                    rule(BUDGET, "cumulative", "1", "10"),
                )
            },
            "indicator budget_execution: it is scored by kind budget_execution only",
            id="another-kind-on-the-budget",
        ),
        pytest.param(
            {"indicators": (*parts_ruleset().indicators[:-1], rule("x", "task", "1", "10"))},
            "indicator x: kind task scores the ruleset's tasks; add a task instead of a rule",
            id="a-task-as-a-rule",
        ),
    ],
)
def test_a_ruleset_with_a_badly_made_part_is_refused(change, problem) -> None:
    ruleset = dataclasses.replace(parts_ruleset(), **change)

    with pytest.raises(RulesetError) as refused:
        evaluate_city(city_with_parts(), ruleset=ruleset)

    assert problem in refused.value.messages


# The input digest ----------------------------------------------------------------------------


def _sha256(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


HEADER = "programme\t2020\t2019\t3\t2021-12-31"


def test_a_city_read_without_the_parts_keeps_the_digest_it_always_had() -> None:
    """The digest's lines written out here, as the format has always been: the shipped 2020
    ruleset reads none of the parts, and its runs' digests do not move."""
    city = CityInput(
        CHAOYANG,
        D("50000000.00"),
        targets=(("sme_transformations", D("120.0000")),),
        observations=(obs("sme_transformations", "2020", "30"),),
    )
    lines = [
        HEADER,
        f"city\t{CHAOYANG}\t50000000",
        "target\tsme_transformations\t120",
        "total\tsme_transformations\t2020\tyear\t30\t0",
    ]

    assert input_digest(programme=PROGRAMME_2020, as_of=MID_TERM, cities=[city]) == _sha256(
        [HEADER, f"{CHAOYANG}\t{_sha256(lines)}"]
    )


def test_the_parts_a_ruleset_reads_are_in_the_digest() -> None:
    city = city_with_parts(
        plan=[(2021, "45000000.00"), (2020, "30000000")],
        expenditure=spending(("2020-Q1", "100.50")),
        panel=[*scores("platform", "0.90", "0.8", experts=["wang", "li"])],
        optional=["fund"],
    )
    lines = [
        HEADER,
        f"city\t{CHAOYANG}\t50000000",
        "first_tranche\t100000000",
        "plan\t2020\t30000000",
        "plan\t2021\t45000000",
        "spent\t2020\tquarter\t100.5\t1",
        "optional\tfund",
        "panel\tplatform\tli\t0.8",
        "panel\tplatform\twang\t0.9",
    ]

    assert input_digest(programme=PROGRAMME_2020, as_of=MID_TERM, cities=[city]) == _sha256(
        [HEADER, f"{CHAOYANG}\t{_sha256(lines)}"]
    )
    outcome = evaluate_city(city, ruleset=parts_ruleset())
    assert outcome.input_digest == _sha256(lines)


# Properties ---------------------------------------------------------------------------------

PROPERTY = settings(max_examples=60, deadline=None, database=None)
AMOUNTS = st.integers(min_value=0, max_value=200_000_000)
SCORES = st.integers(min_value=0, max_value=100).map(lambda n: D(n) / 100)


@PROPERTY
@given(spent=AMOUNTS, more=AMOUNTS, planned=st.integers(min_value=1, max_value=99_000_000))
def test_spending_more_never_scores_less_and_stays_within_the_weight(spent, more, planned):
    def points(amount: int) -> Decimal:
        city = city_with_parts(
            plan=[(2020, str(planned))], expenditure=spending(("2021", str(amount)))
        )
        return indicator(evaluate_city(city, ruleset=parts_ruleset()), BUDGET).points

    assert D(0) <= points(spent) <= points(spent + more) <= D(10)


@PROPERTY
@given(
    values=st.lists(SCORES, min_size=1, max_size=8),
    bump=st.integers(0, 7),
    chosen=st.integers(1, 3),
)
def test_a_higher_expert_score_never_lowers_a_task(values, bump, chosen):
    optional = ["training", "fund", "navigation_service"][:chosen]

    def points(given: list[Decimal]) -> Decimal:
        city = city_with_parts(panel=scores("training", *map(str, given)), optional=optional)
        return indicator(evaluate_city(city, ruleset=parts_ruleset()), "training").points

    raised = list(values)
    raised[bump % len(values)] = D(1)
    weight = round_fraction(Fraction(10, chosen), 2)
    assert D(0) <= points(values) <= points(raised) <= weight
