"""Rulesets are data, versioned, and frozen once a run has used them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from evaluation.models import FrozenRulesetError, GradeBand, IndicatorRule, Ruleset
from evaluation.selectors import ruleset_current
from evaluation.services.rulesets import ruleset_freeze, ruleset_revise

pytestmark = pytest.mark.django_db


def test_the_shipped_2020_ruleset_is_the_spec(programme):
    ruleset = ruleset_current(programme=programme)
    rules = {
        r.indicator.code: (r.kind, r.floor, r.weight)
        for r in ruleset.rules.select_related("indicator")
    }
    assert rules == {
        "transfer_licence_count": ("growth", Decimal("0.2"), Decimal(20)),
        "pledge_amount": ("growth", Decimal("0.3"), Decimal(10)),
        "pledge_projects": ("growth", Decimal("0.3"), Decimal(10)),
        "contract_turnover": ("growth", Decimal("0.4"), Decimal(20)),
        "sme_transformations": ("cumulative", Decimal(100), Decimal(15)),
        "certified_entities": ("cumulative", Decimal(200), Decimal(15)),
        "securitization_products": ("cumulative", Decimal(1), Decimal(3)),
        "navigation_projects": ("cumulative", Decimal(5), Decimal(3)),
        "trusteeship_smes": ("cumulative", Decimal(1000), Decimal(2)),
        "operation_centres": ("cumulative", Decimal(3), Decimal(2)),
    }
    bands = {b.grade: (b.min_score, b.release_share) for b in ruleset.bands.all()}
    assert bands == {
        "excellent": (Decimal(90), Decimal(1)),
        "good": (Decimal(80), Decimal("0.8")),
        "fair": (Decimal(60), Decimal("0.6")),
        "poor": (Decimal(0), Decimal(0)),
    }
    assert ruleset.label == "2020-v1"


def test_the_shipped_batches_have_the_spec_years_and_sums(db):
    from evaluation.models import Programme

    got = {
        p.code: (
            p.baseline_year,
            p.construction_years,
            p.total_amount_min,
            p.total_amount_max,
            p.first_tranche_min,
            p.first_tranche_max,
        )
        for p in Programme.objects.all()
    }
    million = Decimal(1_000_000)
    assert got == {
        "2018": (2017, 3, 200 * million, 200 * million, 150 * million, 150 * million),
        "2019": (2018, 3, 150 * million, 200 * million, 100 * million, 150 * million),
        "2020": (2019, 3, 150 * million, 150 * million, 100 * million, 100 * million),
    }


def test_a_frozen_ruleset_refuses_every_change(programme):
    ruleset = ruleset_current(programme=programme)
    ruleset_freeze(ruleset=ruleset)
    rule = ruleset.rules.first()
    rule.weight = Decimal(25)
    with pytest.raises(FrozenRulesetError):
        rule.save()
    with pytest.raises(FrozenRulesetError):
        ruleset.bands.first().delete()
    with pytest.raises(FrozenRulesetError):
        GradeBand.objects.create(
            ruleset=ruleset, grade="good", min_score=Decimal(85), release_share=Decimal("0.5")
        )
    assert IndicatorRule.objects.get(pk=rule.pk).weight == Decimal(20)


def test_revising_a_frozen_ruleset_makes_a_new_version(programme, reviewer):
    v1 = ruleset_current(programme=programme)
    ruleset_freeze(ruleset=v1)

    v2 = ruleset_revise(
        ruleset=v1,
        by=reviewer,
        weights={"transfer_licence_count": Decimal(15), "pledge_amount": Decimal(15)},
        release_shares={"fair": Decimal("0.5")},
    )

    assert (v2.version, v2.label, v2.is_frozen) == (2, "2020-v2", False)
    assert ruleset_current(programme=programme) == v2
    weights = dict(v2.rules.values_list("indicator__code", "weight"))
    assert weights["transfer_licence_count"] == Decimal(15)
    assert v2.bands.get(grade="fair").release_share == Decimal("0.5")
    untouched = dict(v1.rules.values_list("indicator__code", "weight"))
    assert untouched["transfer_licence_count"] == Decimal(20)
    assert v1.bands.get(grade="fair").release_share == Decimal("0.6")


def test_an_unused_ruleset_is_edited_in_place(programme, reviewer):
    v1 = ruleset_current(programme=programme)
    same = ruleset_revise(
        ruleset=v1,
        by=reviewer,
        weights={"operation_centres": Decimal(1), "trusteeship_smes": Decimal(3)},
    )
    assert same.pk == v1.pk
    assert Ruleset.objects.filter(programme=programme).count() == 1
    rule = same.rules.get(indicator__code="operation_centres")
    assert rule.history.first().history_user == reviewer


def test_a_revision_that_breaks_the_ruleset_changes_nothing(programme, reviewer):
    v1 = ruleset_current(programme=programme)
    ruleset_freeze(ruleset=v1)
    with pytest.raises(ValidationError, match="add up to 110"):
        ruleset_revise(ruleset=v1, by=reviewer, weights={"pledge_amount": Decimal(20)})
    assert Ruleset.objects.filter(programme=programme).count() == 1
