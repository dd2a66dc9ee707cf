"""Rulesets in the admin: an edit to a version a run has used is saved as a new version, and
the used version stays as the run saw it; a version no run has used is edited in place."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evaluation.models import GradeBand, IndicatorRule, Ruleset
from evaluation.services.rulesets import ruleset_freeze
from tests.admin.conftest import form_data, page, shown_messages

pytestmark = pytest.mark.django_db


@pytest.fixture
def v1(programme) -> Ruleset:
    return Ruleset.objects.get(programme=programme, version=1)


def rules_of(ruleset: Ruleset) -> dict[str, tuple[Decimal, Decimal]]:
    return {
        r.indicator.code: (r.floor, r.weight)
        for r in IndicatorRule.objects.filter(ruleset=ruleset).select_related("indicator")
    }


def bands_of(ruleset: Ruleset) -> dict[str, tuple[Decimal, Decimal]]:
    return {
        b.grade: (b.min_score, b.release_share) for b in GradeBand.objects.filter(ruleset=ruleset)
    }


def edited(client, ruleset: Ruleset, **changes: str) -> dict[str, str]:
    """The ruleset's change form as shown, with ``changes`` typed in; rows are named by
    indicator code or grade (``transfer_licence_count__floor="0.25"``)."""
    response = client.get(f"/admin/evaluation/ruleset/{ruleset.pk}/change/")
    assert response.status_code == 200
    data = form_data(response)
    rows: dict[str, str] = {}
    for inline in response.context["inline_admin_formsets"]:
        for form in inline.formset.forms:
            instance = form.instance
            name = instance.indicator.code if inline.formset.model is IndicatorRule else None
            rows[name or instance.grade] = form.prefix
    for key, value in changes.items():
        row, field = key.split("__")
        data[f"{rows[row]}-{field}"] = value
    return data


def test_editing_a_ruleset_a_run_has_used_creates_a_new_version(admin_client, v1):
    ruleset_freeze(ruleset=v1)
    before_rules, before_bands = rules_of(v1), bands_of(v1)
    data = edited(
        admin_client,
        v1,
        transfer_licence_count__floor="0.2500",
        good__release_share="0.7500",
    )

    response = admin_client.post(f"/admin/evaluation/ruleset/{v1.pk}/change/", data, follow=True)

    v2 = Ruleset.objects.get(programme=v1.programme, version=2)
    assert response.redirect_chain[-1][0] == f"/admin/evaluation/ruleset/{v2.pk}/change/"
    assert (
        "2020-v1 has been used by a run and cannot change: your edit was saved as 2020-v2."
        in shown_messages(response)
    )
    assert rules_of(v2)["transfer_licence_count"] == (Decimal("0.2500"), Decimal("20.00"))
    assert bands_of(v2)["good"] == (Decimal("80.00"), Decimal("0.7500"))
    assert {k: v for k, v in rules_of(v2).items() if k != "transfer_licence_count"} == {
        k: v for k, v in before_rules.items() if k != "transfer_licence_count"
    }
    assert rules_of(v1) == before_rules
    assert bands_of(v1) == before_bands
    assert v2.created_by.username == "administrator"
    assert v2.frozen_at is None


def test_a_ruleset_frozen_by_a_run_is_revised_and_the_next_run_uses_the_revision(
    admin_client, evaluate, city_a, v1
):
    first = evaluate()
    assert first.ruleset == v1
    data = edited(admin_client, v1, excellent__min_score="95.00")

    response = admin_client.post(f"/admin/evaluation/ruleset/{v1.pk}/change/", data)

    assert response.status_code == 302
    assert bands_of(v1)["excellent"][0] == Decimal("90.00")
    v2 = Ruleset.objects.get(programme=v1.programme, version=2)
    assert bands_of(v2)["excellent"][0] == Decimal("95.00")
    first.refresh_from_db()
    assert first.ruleset == v1
    assert evaluate().ruleset == v2


def test_editing_a_ruleset_no_run_has_used_changes_it_in_place(admin_client, v1):
    data = edited(admin_client, v1, transfer_licence_count__floor="0.2500")

    response = admin_client.post(f"/admin/evaluation/ruleset/{v1.pk}/change/", data)

    assert response.status_code == 302
    assert rules_of(v1)["transfer_licence_count"] == (Decimal("0.2500"), Decimal("20.00"))
    assert list(
        Ruleset.objects.filter(programme=v1.programme).values_list("version", flat=True)
    ) == [1]


def test_a_ruleset_shows_when_a_run_froze_it(admin_client, v1):
    url = f"/admin/evaluation/ruleset/{v1.pk}/change/"
    before = page(admin_client.get(url))

    ruleset_freeze(ruleset=v1)
    after = page(admin_client.get(url))

    assert "Frozen at: -" in before
    assert "Frozen at: -" not in after
    assert "Frozen at: " in after


def test_a_change_a_new_version_cannot_carry_is_refused_not_dropped(admin_client, v1):
    ruleset_freeze(ruleset=v1)
    before_rules = rules_of(v1)
    data = edited(admin_client, v1, transfer_licence_count__kind="cumulative")

    response = admin_client.post(f"/admin/evaluation/ruleset/{v1.pk}/change/", data)

    assert response.status_code == 200  # the form again, with the reason
    assert "only floor, weight may change" in page(response)
    assert Ruleset.objects.filter(programme=v1.programme).count() == 1
    assert rules_of(v1) == before_rules
