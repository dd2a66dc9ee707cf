"""What each rule kind carries (no database): every kind answers every question the layers
outside the core ask it, each text it hands out can be filled from its own figures, and a kind
registered from a test is scored, checked and worded by the engine like the shipped ones."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal

import pytest

from evaluation.scoring import RULE_KINDS, InputError, rule_kind
from evaluation.scoring.engine import check_indicator_rules
from evaluation.scoring.needs import still_needed
from evaluation.scoring.rules import Context, Measure, RuleKind
from evaluation.scoring.texts import Figure, Rate, Text
from evaluation.scoring.totals import city_totals
from evaluation.scoring.types import IndicatorOutcome, IndicatorRule, Status, Task
from tests.scoring.builders import (
    CHAOYANG,
    DEFAULT_CATALOGUE,
    MID_TERM,
    PROGRAMME_2020,
    city_with_parts,
    default_ruleset,
    evaluate_city,
    indicator,
    obs,
    parts_ruleset,
    rule,
    scores,
    spending,
)
from tests.scoring.builders import city as city_input
from tests.scoring.ceiling_kind import CeilingRule

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
CONTEXT = Context(programme=PROGRAMME_2020, as_of=MID_TERM, years_elapsed=2)


@pytest.fixture
def ceiling(monkeypatch) -> RuleKind:
    """The throwaway kind, registered as a new kind would be."""
    kind = CeilingRule()
    monkeypatch.setitem(RULE_KINDS, kind.name, kind)
    return kind


SHIPPED = sorted(RULE_KINDS)


@pytest.fixture(params=[*SHIPPED, "ceiling"])
def kind(request) -> RuleKind:
    """Each shipped kind, and the throwaway one registered: a new kind answers every question
    the shipped ones answer."""
    if request.param == "ceiling":
        return request.getfixturevalue("ceiling")
    return rule_kind(request.param)


def said(text: Text) -> str:
    """``text`` filled in as any layer would: every placeholder must have its figure."""

    def shown(value: Figure) -> str:
        if isinstance(value, Text):
            return said(value)
        if isinstance(value, Rate):
            return f"{value.value * 100}%"
        return "—" if value is None else str(value)

    missing = set(PLACEHOLDER.findall(text.template)) - set(text.figures)
    assert not missing, f"{text.key}: no figure for {missing}"
    return text.template % {name: shown(value) for name, value in text.figures.items()}


def sample_target(kind: RuleKind) -> Decimal:
    return Decimal("0.2") if kind.target_measure.rate else Decimal(3)


def outcomes(kind: RuleKind) -> Iterator[IndicatorOutcome]:
    """The kind's outcomes for cities whose figures fall short, reach, miss or cannot say (a
    kind scored from other inputs than reported figures, from those inputs)."""
    if not kind.reported:
        yield from OTHER_INPUTS[kind.name]()
        return
    code = f"x_{kind.name}"
    ruleset = dataclasses.replace(
        default_ruleset(), indicators=(rule(code, kind.name, f"{sample_target(kind)}", "100"),)
    )
    for values in (
        [],
        [("2019", "5"), ("2021", "4")],
        [("2019", "2"), ("2021", "2.5")],
        [("2019", "1"), ("2021", "2")],
        [("2020", "0")],
        [("2020", "1")],
        [("2020", "9")],
    ):
        outcome = evaluate_city(
            city_input([obs(code, period, value) for period, value in values]), ruleset=ruleset
        )
        yield indicator(outcome, code)


def budget_outcomes() -> Iterator[IndicatorOutcome]:
    """Nothing spent on record, all of the first tranche's two thirds, half of it, and 0."""
    ruleset = dataclasses.replace(
        default_ruleset(), indicators=(rule("budget_execution", "budget_execution", "1", "100"),)
    )
    for entries in ([], [("2021", "66666666.67")], [("2020-Q3", "33333333.34")], [("2021", 0)]):
        outcome = evaluate_city(city_with_parts(expenditure=spending(*entries)), ruleset=ruleset)
        yield indicator(outcome, "budget_execution")


def task_outcomes() -> Iterator[IndicatorOutcome]:
    """A task nobody scored, one with full marks, one half done, one scored 0; then an
    optional task scored by five experts."""
    ruleset = parts_ruleset(
        indicators=[("operation_centres", "cumulative", "3", "0")],
        tasks=[Task("x_task", True, Decimal(90)), Task("x_optional", False)],
    )
    for values in ([], ["1", "1"], ["0.5"], ["0", "0", "0"]):
        outcome = evaluate_city(
            city_with_parts(panel=scores("x_task", *values), optional=["x_optional"]),
            ruleset=ruleset,
        )
        yield indicator(outcome, "x_task")
    panel = scores("x_optional", "0.9", "0.9", "0.8", "0.7", "0.6")
    outcome = evaluate_city(city_with_parts(panel=panel, optional=["x_optional"]), ruleset=ruleset)
    yield indicator(outcome, "x_optional")


OTHER_INPUTS = {"budget_execution": budget_outcomes, "task": task_outcomes}


def test_a_kind_is_found_by_the_name_a_ruleset_stores(kind):
    assert rule_kind(kind.name) is kind
    assert kind.label and kind.description
    assert isinstance(kind.target_measure, Measure) and isinstance(kind.actual_measure, Measure)
    with pytest.raises(ValueError, match="unknown rule kind 'nonesuch'"):
        rule_kind("nonesuch")


def test_every_reason_a_kind_words_is_filled_from_its_own_figures(kind):
    worded: dict[Status, set[str]] = {}
    for outcome in outcomes(kind):
        texts = kind.reason(outcome, CONTEXT)
        assert texts, outcome
        for text in texts:
            said(text)
        worded.setdefault(outcome.status, set()).add(texts[0].key)
    assert set(worded) == set(Status), worded
    # Each status is worded its own way.
    keys = [key for found in worded.values() for key in found]
    assert len(keys) == len(set(keys)), worded


@pytest.mark.parametrize("by", [dt.date(2020, 6, 30), MID_TERM, dt.date(2022, 12, 31)])
@pytest.mark.parametrize(
    "values", [[], [("2019", "10"), ("2021", "900")], [("2020", "1")]], ids=["none", "many", "few"]
)
def test_what_the_portal_says_of_a_kind_is_filled_from_its_own_figures(kind, by, values):
    target = sample_target(kind)
    summed, problems = city_totals(
        [obs("x", period, value) for period, value in values], (), as_of=by, from_year=2019
    )
    assert not problems
    need = still_needed(
        indicator="x",
        kind=kind.name,
        target=target,
        programme=PROGRAMME_2020,
        by=by,
        totals=summed,
        places=0,
    )
    assert (need.kind, need.by, need.indicator) == (kind.name, by, "x")
    progress = kind.progress(target=target, need=need)
    for text in (progress.target, progress.approved, progress.need):
        said(text)
    path = kind.path(programme=PROGRAMME_2020, target=target, totals=summed)
    assert path and [p.year for p in path] == sorted(p.year for p in path)


@pytest.mark.parametrize("name", [name for name in SHIPPED if rule_kind(name).reported])
def test_a_shipped_kind_holds_a_city_to_its_commitment_never_below_the_floor(name):
    kind = rule_kind(name)
    floor_rule = IndicatorRule("x", name, Decimal("3"), Decimal("10"))
    anyone = city_input()
    assert kind.target(rule=floor_rule, committed=None, city=anyone) == (Decimal(3), "floor")
    assert kind.target(rule=floor_rule, committed=Decimal(4), city=anyone) == (
        Decimal(4),
        "committed",
    )
    assert kind.target_refusal(target=Decimal(3), floor=Decimal(3)) is None
    refusal = kind.target_refusal(target=Decimal("2.9"), floor=Decimal(3))
    assert refusal is not None and refusal.code == "below_floor"


def test_the_shipped_kinds_say_what_they_said_before():
    growth, cumulative = rule_kind("growth"), rule_kind("cumulative")
    assert said(growth.floor_words(Decimal("0.30"))) == "0.3 (30% growth)"
    assert said(cumulative.floor_words(Decimal("200.0000"))) == "200"
    assert (growth.target_measure, cumulative.target_measure) == (
        Measure(rate=True, places=4),
        Measure(rate=False, places=2),
    )
    assert (growth.running_total, cumulative.running_total) == (False, True)


# A kind registered from a test ------------------------------------------------------------------


def ceiling_ruleset():
    """The default ruleset with operation centres (weight 2) counted as a ceiling of 3."""
    rules = tuple(
        rule(code, "ceiling" if code == "operation_centres" else kind, floor, weight)
        for code, kind, floor, weight in DEFAULT_CATALOGUE
    )
    return dataclasses.replace(default_ruleset(), indicators=rules)


def test_a_registered_kind_is_scored_by_the_engine(ceiling):
    assert check_indicator_rules(ceiling_ruleset().indicators) == []
    outcome = evaluate_city(
        city_input([obs("operation_centres", "2020", "2"), obs("operation_centres", "2021", "2")]),
        ruleset=ceiling_ruleset(),
    )

    centres = indicator(outcome, "operation_centres")
    # 4 against a ceiling of 3: 2 - 4/3 = 0.6667 of 2 points.
    assert (centres.kind, centres.status, centres.actual, centres.attainment, centres.points) == (
        "ceiling",
        Status.PARTIAL,
        Decimal(4),
        Decimal("0.6667"),
        Decimal("1.33"),
    )
    assert centres.reason == "4.00 approved: above the ceiling of 3.00. 1.33 of 2.00 points."
    assert outcome.score == sum(i.points for i in outcome.indicators)


def test_without_registering_it_a_ruleset_naming_the_kind_is_refused():
    assert check_indicator_rules(ceiling_ruleset().indicators) == [
        "indicator operation_centres: unknown rule kind 'ceiling'"
    ]


def test_a_registered_kind_refuses_the_committed_targets_it_says_it_refuses(ceiling):
    allowed = city_input(targets=[("operation_centres", "2")])
    assert evaluate_city(allowed, ruleset=ceiling_ruleset()).city == CHAOYANG

    with pytest.raises(InputError) as refused:
        evaluate_city(city_input(targets=[("operation_centres", "4")]), ruleset=ceiling_ruleset())
    assert refused.value.messages == (
        f"city {CHAOYANG}: committed target 4 for operation_centres is above the national "
        "ceiling 3",
    )


def test_what_a_registered_kind_still_needs_is_its_own(ceiling):
    totals, _ = city_totals(
        [obs("operation_centres", "2020", "2"), obs("operation_centres", "2021", "2")],
        (),
        as_of=MID_TERM,
        from_year=2019,
    )
    need = still_needed(
        indicator="operation_centres",
        kind="ceiling",
        target=Decimal(3),
        programme=PROGRAMME_2020,
        by=MID_TERM,
        totals=totals,
        places=0,
    )
    assert (need.required, need.so_far, need.needed, need.is_met) == (3, 4, 1, False)
    assert said(ceiling.progress(target=Decimal(3), need=need).need) == "1 over the ceiling"
    assert [
        (p.year, p.actual, p.path)
        for p in ceiling.path(programme=PROGRAMME_2020, target=Decimal(3), totals=totals)
    ] == [(2020, 2, 3), (2021, 4, 3), (2022, 4, 3)]
