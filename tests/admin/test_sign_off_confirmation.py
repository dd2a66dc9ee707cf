"""Signing money off with a page that shows what is signed; the override's unit check; a
provisional run started from the admin; the index's to-do counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from evaluation import selectors
from evaluation.models import EvaluationRun, TrancheDecision
from tests.admin.conftest import page, shown_messages, submitted_report
from tests.factories import meet_every_target

pytestmark = pytest.mark.django_db

DECISIONS = "/admin/evaluation/tranchedecision/"
START = "/admin/evaluation/evaluationrun/start-provisional/"


@pytest.fixture
def run(city_a, city_b, evaluate):
    meet_every_target(city_a.city)
    return evaluate()


def statuses() -> set[str]:
    return set(TrancheDecision.objects.values_list("status", flat=True))


def test_the_sign_off_first_shows_each_city_grade_amount_and_total(signer_client, run):
    chosen = list(TrancheDecision.objects.values_list("pk", flat=True))

    response = signer_client.post(DECISIONS, {"action": "confirm", "_selected_action": chosen})

    assert response.status_code == 200
    text = page(response)
    assert "Sign off these decisions?" in text
    assert "440300 Shenzhen 100.00 points, excellent release 50,000,000.00 yuan" in text
    assert "110105 Chaoyang" in text and "withhold 0.00 yuan" in text
    assert "Total 50,000,000.00 yuan 5,000.00 10,000 yuan" in text
    assert statuses() == {"recommended"}


def test_signing_off_says_the_run_is_finalised_with_its_decision_record(signer_client, run):
    chosen = list(TrancheDecision.objects.values_list("pk", flat=True))

    response = signer_client.post(
        DECISIONS,
        {"action": "confirm", "_selected_action": chosen, "apply": "Yes"},
        follow=True,
    )

    said = shown_messages(response)
    assert said[0] == "Signed off 2 decisions as recommended: 50,000,000.00 yuan in all."
    assert f"Run #{run.pk} is finalised" in said[1]
    assert f'href="/reports/runs/{run.pk}/decision-record.pdf"' in said[1]
    assert statuses() == {"confirmed"}


@pytest.mark.chinese
def test_an_amount_under_one_percent_is_refused_in_chinese_and_changes_nothing(signer_client, run):
    release = TrancheDecision.objects.get(city_result__participation__city__code="440300")
    data = {
        "action": "override",
        "_selected_action": [release.pk],
        "apply": "1",
        "amount": "3000",
        "reason": "审计调整",
    }

    response = signer_client.post(DECISIONS, data, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 200
    text = page(response)
    assert "3,000.00 元不足剩余资金 50,000,000.00 元的 1%" in text
    assert "金额（元）" in text and "剩余资金：50,000,000.00 元（5,000.00 万元）" in text
    assert statuses() == {"recommended"}

    confirmed = signer_client.post(
        DECISIONS, {**data, "small_confirmed": "on"}, HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True
    )
    assert any("已改定" in m for m in shown_messages(confirmed))
    assert TrancheDecision.objects.get(pk=release.pk).final_amount == 3000


def test_withholding_everything_is_no_slip_of_unit(signer_client, run):
    release = TrancheDecision.objects.get(city_result__participation__city__code="440300")

    signer_client.post(
        DECISIONS,
        {
            "action": "override",
            "_selected_action": [release.pk],
            "apply": "1",
            "amount": "0",
            "reason": "appeal lost",
        },
    )

    assert TrancheDecision.objects.get(pk=release.pk).status == "overridden"


def test_a_reviewer_starts_a_provisional_run(
    reviewer_client, city_a, django_capture_on_commit_callbacks
):
    runs = page(reviewer_client.get("/admin/evaluation/evaluationrun/"))
    assert "Start a provisional run" in runs

    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_client.post(
            START, {"programme": city_a.programme_id, "as_of": "2021-12-31"}, follow=True
        )

    run = EvaluationRun.objects.get()
    assert (run.kind, run.trigger) == ("provisional", "admin")
    assert run.triggered_by.username == "reviewer"
    assert any(f"Provisional run #{run.pk}" in m for m in shown_messages(response))


def test_only_reviewers_start_runs(official_client, anonymous_client, city_a):
    for client in (official_client, anonymous_client):
        response = client.post(START, {"programme": city_a.programme_id, "as_of": "2021-12-31"})
        assert response.status_code in (302, 403)
    assert not EvaluationRun.objects.exists()


def test_the_index_counts_what_awaits_the_reviewer(
    signer_client, second_reviewer, run, official, city_b, django_assert_max_num_queries
):
    submitted_report(city_b, official, "2021-03", {"transfer_licence_count": "40"})
    today = dt.date(2022, 6, 30)

    with django_assert_max_num_queries(12):
        todo = selectors.reviewer_todo(by=second_reviewer, today=today)

    assert (todo.reports_to_review, todo.decisions_to_sign) == (1, 2)
    assert todo.late_cities == 2  # neither city reported 2022 by its due dates
    with translation.override("en"):
        text = page(signer_client.get("/admin/"))
    assert "Reports awaiting review 1" in text
    assert "Decisions you may sign off 2" in text
    # The late cities' count links to their programme's completeness, the late cities only.
    programme = city_b.programme
    assert [(p.pk, n) for p, n in todo.late_by_programme] == [(programme.pk, 2)]
    with translation.override("en"):
        response = signer_client.get("/admin/")
    completeness = f"/admin/reports/programmes/{programme.pk}/completeness/"
    link = f'href="{completeness}?late=1" id="todo-late-link"'
    assert link in response.content.decode()
    assert "Cities late with a report 2" in page(response)
    with translation.override("en"):
        late = signer_client.get(f"{completeness}?late=1")
    assert late.status_code == 200
    assert "Only the cities late with a report" in page(late)
