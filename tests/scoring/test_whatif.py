"""What a draft ruleset would do (``scoring.whatif``): the same inputs scored under both
rulesets, each difference traced to the rule that caused it."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from evaluation.scoring import NothingToEvaluate, RulesetError
from evaluation.scoring.types import GradeBand
from evaluation.scoring.whatif import RuleChange, compare_rulesets, rule_changes
from tests.scoring.builders import (
    DEFAULT_BANDS,
    HEFEI,
    MID_TERM,
    PROGRAMME_2020,
    TAIYUAN,
    city,
    default_ruleset,
    months,
    obs,
)

C = "certified_entities"
T = "transfer_licence_count"


def with_rule(ruleset, indicator, **changes):
    return dataclasses.replace(
        ruleset,
        label="draft",
        indicators=tuple(
            dataclasses.replace(r, **changes) if r.indicator == indicator else r
            for r in ruleset.indicators
        ),
    )


def with_band(ruleset, grade, **changes):
    return dataclasses.replace(
        ruleset,
        label="draft",
        bands=tuple(
            dataclasses.replace(b, **changes) if b.grade == grade else b for b in ruleset.bands
        ),
    )


def cities():
    """Hefei meets every target but certified entities (100 of the 133.33 due: 11.25 of 15
    points): 96.25, excellent. Taiyuan, held to a committed target of 300 entities, has 150 of
    200 due."""
    full = []
    for code in (T, "pledge_amount", "pledge_projects", "contract_turnover"):
        full += [obs(code, "2019", 100), obs(code, "2021", 200)]
    for code, total in (
        ("sme_transformations", 67),
        ("securitization_products", 1),
        ("navigation_projects", 4),
        ("trusteeship_smes", 667),
        ("operation_centres", 2),
    ):
        full.append(obs(code, "2020", total))
    hefei = city([*full, obs(C, "2020", 100)], code=HEFEI)
    taiyuan = city([*full, *months(C, 2020, [15] * 10)], code=TAIYUAN, targets=[(C, "300")])
    return [hefei, taiyuan]


def compare(draft, published=None):
    return compare_rulesets(
        programme=PROGRAMME_2020,
        published=published or default_ruleset(),
        draft=draft,
        as_of=MID_TERM,
        cities=cities(),
    )


def by_city(comparison):
    return {c.city: c for c in comparison.cities}


def test_a_draft_that_changes_nothing_changes_no_city():
    comparison = compare(dataclasses.replace(default_ruleset(), label="draft"))

    assert comparison.rule_changes == ()
    assert not any(c.changed for c in comparison.cities)
    assert comparison.total_before == comparison.total_after


def test_a_weight_moved_changes_the_points_and_names_the_weight():
    draft = with_rule(default_ruleset(), C, weight=Decimal(45))
    draft = with_rule(with_rule(draft, T, weight=Decimal(0)), "pledge_amount", weight=Decimal(0))

    hefei = by_city(compare(draft))[HEFEI]

    assert hefei.before.score == Decimal("96.25") and hefei.before.grade == "excellent"
    # 100 of 133.33: 0.75 of 45 = 33.75; the 30 points of two met indicators gone: 88.75.
    assert hefei.after.score == Decimal("88.75") and hefei.after.grade == "good"
    assert hefei.grade_changed
    differences = {d.indicator: d for d in hefei.differences}
    assert set(differences) == {C, T, "pledge_amount"}
    assert differences[C].causes == (RuleChange(C, "weight", Decimal(15), Decimal(45)),)
    assert (differences[C].points_before, differences[C].points_after) == (
        Decimal("11.25"),
        Decimal("33.75"),
    )
    assert differences[T].causes == (RuleChange(T, "weight", Decimal(20), Decimal(0)),)


def test_a_floor_moves_only_the_cities_held_to_the_floor():
    draft = with_rule(default_ruleset(), C, floor=Decimal(150))

    found = by_city(compare(draft))

    # Hefei is held to the floor: 100 of 100 due is met now.
    assert [d.indicator for d in found[HEFEI].differences] == [C]
    assert found[HEFEI].differences[0].causes == (
        RuleChange(C, "floor", Decimal(200), Decimal(150)),
    )
    # Taiyuan's committed 300 stands whatever the floor (still above it).
    assert not found[TAIYUAN].changed


def test_a_floor_raised_above_a_committed_target_is_a_city_the_draft_cannot_score():
    draft = with_rule(default_ruleset(), C, floor=Decimal(400))

    taiyuan = by_city(compare(draft))[TAIYUAN]

    assert taiyuan.before is not None and taiyuan.after is None
    assert taiyuan.refused_after and "below the national floor" in taiyuan.refused_after[0]
    assert taiyuan.changed


def test_a_grade_band_moved_changes_the_grade_without_the_score_and_names_the_band():
    draft = with_band(default_ruleset(), "excellent", min_score=Decimal(97))

    hefei = by_city(compare(draft))[HEFEI]

    assert hefei.before.score == hefei.after.score
    assert (hefei.before.grade, hefei.after.grade) == ("excellent", "good")
    assert hefei.differences == ()
    assert hefei.band_causes == (RuleChange("excellent", "min_score", Decimal(90), Decimal(97)),)


def test_a_share_changed_changes_the_amount_and_the_total_release():
    draft = with_band(default_ruleset(), "excellent", release_share=Decimal("0.9"))

    comparison = compare(draft)
    hefei = by_city(comparison)[HEFEI]

    assert (hefei.before.amount, hefei.after.amount) == (
        Decimal("50000000.00"),
        Decimal("45000000.00"),
    )
    assert not hefei.grade_changed
    assert hefei.band_causes == (
        RuleChange("excellent", "release_share", Decimal(1), Decimal("0.9")),
    )
    # Taiyuan is excellent too (150 of its 200 due: 96.25).
    assert comparison.total_before - comparison.total_after == Decimal("10000000.00")


def test_the_rule_changes_are_listed_once_each():
    draft = with_band(
        with_rule(default_ruleset(), C, weight=Decimal(25), floor=Decimal(150)),
        "good",
        min_score=Decimal(85),
    )
    draft = with_rule(draft, T, weight=Decimal(10))

    assert rule_changes(default_ruleset(), draft) == (
        RuleChange(T, "weight", Decimal(20), Decimal(10)),
        RuleChange(C, "floor", Decimal(200), Decimal(150)),
        RuleChange(C, "weight", Decimal(15), Decimal(25)),
        RuleChange("good", "min_score", Decimal(80), Decimal(85)),
    )


def test_a_draft_no_evaluation_could_use_is_refused():
    broken = with_rule(default_ruleset(), C, weight=Decimal(30))  # weights add up to 115
    with pytest.raises(RulesetError, match="not 100"):
        compare(broken)
    no_zero = dataclasses.replace(
        default_ruleset(),
        bands=(
            *(b for b in DEFAULT_BANDS if b.grade != "poor"),
            GradeBand("poor", Decimal(10), Decimal(0)),
        ),
    )
    with pytest.raises(RulesetError, match="starts at 0"):
        compare(no_zero)


def test_nothing_to_compare_before_a_year_has_ended():
    import datetime as dt

    with pytest.raises(NothingToEvaluate):
        compare_rulesets(
            programme=PROGRAMME_2020,
            published=default_ruleset(),
            draft=default_ruleset(),
            as_of=dt.date(2020, 6, 30),
            cities=cities(),
        )
