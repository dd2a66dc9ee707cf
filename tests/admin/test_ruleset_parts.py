"""The optional parts where rulesets are made (the admin's ruleset page): a used version is
copied as the next one to add parts to; the page checks that the weights of every part add up
to 100 across its formsets; a used version with parts changes its numbers into its next
version; and the other pages of the parts go through their services."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evaluation.models import (
    Expenditure,
    PanelAssignment,
    Ruleset,
    RulesetTask,
    TaskChoice,
)
from evaluation.scoring import Period
from evaluation.services import money
from evaluation.services.rulesets import ruleset_freeze
from tests.admin.conftest import form_data, page, shown_messages
from tests.parts import expert, ruleset_with_parts

pytestmark = pytest.mark.django_db


def test_a_used_ruleset_is_copied_as_the_next_version_to_add_parts_to(admin_client, programme):
    v1 = Ruleset.objects.get(programme=programme, version=1)
    ruleset_freeze(ruleset=v1)

    response = admin_client.post(
        "/admin/evaluation/ruleset/",
        {"action": "copy_as_next_version", "_selected_action": [v1.pk]},
        follow=True,
    )

    v2 = Ruleset.objects.get(programme=programme, version=2)
    assert "2020-v1 copied as 2020-v2, the programme's current ruleset." in shown_messages(response)
    assert v2.frozen_at is None
    assert sorted(v2.rules.values_list("indicator__code", "weight")) == sorted(
        v1.rules.values_list("indicator__code", "weight")
    )


def test_the_weights_of_every_part_on_the_page_must_add_up_to_100(admin_client, programme):
    parts = ruleset_with_parts(programme)
    url = f"/admin/evaluation/ruleset/{parts.pk}/change/"
    response = admin_client.get(url)
    data = form_data(response)
    data["optional_task_weight"] = "12"

    refused = admin_client.post(url, data)

    assert refused.status_code == 200
    assert "the weights add up to 102, not 100" in page(refused)
    assert Ruleset.objects.get(pk=parts.pk).optional_task_weight == 10


def test_a_task_takes_an_indicators_code_nowhere(admin_client, programme):
    parts = ruleset_with_parts(programme)
    url = f"/admin/evaluation/ruleset/{parts.pk}/change/"
    response = admin_client.get(url)
    data = form_data(response)
    tasks = next(
        i.formset
        for i in response.context["inline_admin_formsets"]
        if i.formset.model is RulesetTask
    )
    row = next(f.prefix for f in tasks.forms if f.instance.indicator.code == "talent")
    data[f"{row}-code"] = "pledge_amount"

    refused = admin_client.post(url, data)

    assert "pledge_amount is the code of an indicator; give the task its own code" in page(refused)


def test_a_reviewer_reads_each_task_by_its_code_and_names(reviewer_client, programme):
    """The reviewer's page shows the tasks without their form: each task's catalogue entry."""
    parts = ruleset_with_parts(programme)
    task = parts.tasks.select_related("indicator").get(indicator__code="talent")

    response = reviewer_client.get(f"/admin/evaluation/ruleset/{parts.pk}/change/")

    assert response.status_code == 200
    assert "tasks-0-code" not in response.content.decode()  # no form: the reviewer reads
    assert f"talent {task.indicator.name_zh} {task.indicator.name_en}" in page(response)


def test_a_used_ruleset_with_parts_changes_its_task_weights_into_the_next_version(
    admin_client, programme
):
    parts = ruleset_with_parts(programme)
    ruleset_freeze(ruleset=parts)
    url = f"/admin/evaluation/ruleset/{parts.pk}/change/"
    response = admin_client.get(url)
    data = form_data(response)
    tasks = next(
        i.formset
        for i in response.context["inline_admin_formsets"]
        if i.formset.model is RulesetTask
    )
    for form in tasks.forms:
        if form.instance.indicator.code == "platform":
            data[f"{form.prefix}-weight"] = "6.00"
    data["optional_task_weight"] = "12.00"

    saved = admin_client.post(url, data)

    assert saved.status_code == 302
    following = Ruleset.objects.get(programme=programme, version=parts.version + 1)
    assert following.optional_task_weight == Decimal("12.00")
    assert following.tasks.get(indicator__code="platform").weight == Decimal("6.00")
    assert parts.tasks.get(indicator__code="platform").weight == Decimal("8.00")
    assert Ruleset.objects.get(pk=parts.pk).optional_task_weight == 10


def test_the_expenditure_is_approved_from_the_review_list(reviewer_client, city_a, official):
    spent = money.expenditure_submit(
        expenditure=money.expenditure_save(
            participation=city_a,
            period=Period.parse("2021-03"),
            amount="10",
            evidence="voucher",
            by=official,
        ),
        by=official,
    )

    response = reviewer_client.post(
        "/admin/evaluation/expenditure/",
        {"action": "approve", "_selected_action": [spent.pk]},
        follow=True,
    )

    assert "Approved 1 of 1." in shown_messages(response)
    assert Expenditure.objects.get().status == "approved"


def test_the_panel_and_the_choices_change_through_their_services(
    admin_client, programme, city_a, official
):
    ruleset_with_parts(programme)
    own = expert("sun.expert")
    from evaluation.models import OfficialAssignment

    OfficialAssignment.objects.create(user=own, participation=city_a)

    assigned = admin_client.post(
        "/admin/evaluation/panelassignment/add/",
        {"participation": city_a.pk, "expert": own.pk},
        follow=True,
    )
    chosen = admin_client.post(
        "/admin/evaluation/taskchoice/add/",
        {"participation": city_a.pk, "task": _entry("platform")},
        follow=True,
    )

    assert any("never scores their own city" in m for m in shown_messages(assigned))
    assert not PanelAssignment.objects.exists()
    assert any("platform is compulsory" in m for m in shown_messages(chosen))
    assert not TaskChoice.objects.exists()


def _entry(code: str) -> int:
    from evaluation.models import Indicator

    return Indicator.objects.get(code=code).pk


def test_reviewers_see_the_parts_pages_and_officials_do_not(
    reviewer_client, official_client, programme
):
    ruleset_with_parts(programme)
    for name in (
        "expenditure",
        "spendingplan",
        "taskchoice",
        "panelassignment",
        "expertprofile",
        "taskscore",
        "paymentsuspension",
    ):
        assert reviewer_client.get(f"/admin/evaluation/{name}/").status_code == 200, name
        assert official_client.get(f"/admin/evaluation/{name}/").status_code == 302, name
