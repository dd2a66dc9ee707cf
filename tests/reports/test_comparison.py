"""``reports.comparison.runs_compare`` on its own: which cities changed grade or amount between
two runs, and whether their inputs or the rules caused it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evaluation.models import MetricValue
from evaluation.services.rulesets import ruleset_revise
from reports.comparison import runs_compare

pytestmark = pytest.mark.django_db


def test_a_changed_input_is_named_as_the_cause(cities, evaluate):
    before = evaluate()
    MetricValue.objects.filter(
        city=cities[0].city, indicator__code="contract_turnover", year=2021
    ).update(value=Decimal("100.00"))
    after = evaluate()

    comparison = runs_compare(before=before, after=after)

    assert not comparison.same_inputs and comparison.rule_changes == []
    (change,) = comparison.changed
    assert (change.grade_before, change.grade_after) == ("excellent", "good")
    assert (change.amount_before, change.amount_after) == (
        Decimal("50000000.00"),
        Decimal("40000000.00"),
    )
    (cause,) = change.causes
    assert cause.startswith("contract_turnover: 20.00 → 0.00 points (inputs changed")


def test_a_changed_floor_is_named_as_a_rule_change(cities, evaluate, administrator):
    before = evaluate()
    ruleset_revise(
        ruleset=before.ruleset,
        by=administrator,
        floors={"transfer_licence_count": Decimal("0.80"), "contract_turnover": Decimal("0.80")},
    )
    after = evaluate()

    comparison = runs_compare(before=before, after=after)

    assert comparison.same_inputs
    assert [c.split(":")[0] for c in comparison.rule_changes] == [
        "contract_turnover",
        "transfer_licence_count",
    ]
    (change,) = comparison.changed
    assert (change.grade_before, change.grade_after) == ("excellent", "good")
    assert [c.split(" (")[1].split(":")[0] for c in change.causes] == ["rule changed"] * 2


def test_identical_runs_show_no_change(cities, evaluate):
    first, second = evaluate(), evaluate()

    comparison = runs_compare(before=first, after=second)

    assert comparison.same_inputs and comparison.changed == []
    assert comparison.only_before == comparison.only_after == []
