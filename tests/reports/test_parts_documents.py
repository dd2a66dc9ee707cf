"""The documents of a run with the optional parts: the scorecard shows budget execution and each
task with its reason and each expert's score (named to reviewers, numbered to the city and in
the kept PDF), the ranking each city's budget execution with its reason; and the reviewers'
dual monitoring page, where a reviewer suspends a payment and a second one lifts it."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from evaluation.models import EvaluationRun, OfficialAssignment, PaymentSuspension
from evaluation.scoring import Period
from evaluation.services import money, panel
from tests.factories import UserFactory
from tests.parts import expert, official_run, ruleset_with_parts
from tests.reports.conftest import flat, pdf_text

pytestmark = pytest.mark.django_db


def words(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def logged_in(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def scored(programme, shenzhen, reviewer, django_capture_on_commit_callbacks):
    """A provisional run of a ruleset with the parts: Shenzhen chose the fund; five experts
    scored the platform (a tie at the top), one the fund; it spent 5,000,000 of its plan."""
    ruleset_with_parts(programme)
    official = UserFactory(username="li.wei")
    OfficialAssignment.objects.create(user=official, participation=shenzhen)
    panel.task_choices_set(participation=shenzhen, tasks=["fund"], by=official)
    for n, score in enumerate(["0.90", "0.90", "0.80", "0.70", "0.60"], start=1):
        who = expert(f"expert{n}", shenzhen)
        panel.task_score_set(
            participation=shenzhen, task="platform", score=score, comment="", by=who
        )
    panel.task_score_set(
        participation=shenzhen, task="fund", score="1", comment="", by=expert("expert1")
    )
    money.plan_set(participation=shenzhen, year=2020, planned="10000000", by=None)
    spent = money.expenditure_save(
        participation=shenzhen,
        period=Period.parse("2020"),
        amount="5000000",
        evidence="ledger",
        by=official,
    )
    money.expenditure_approve(
        expenditure=money.expenditure_submit(expenditure=spent, by=official), by=reviewer
    )
    run = official_run(
        programme,
        by=reviewer,
        capture=django_capture_on_commit_callbacks,
        kind=EvaluationRun.Kind.PROVISIONAL,
    )
    assert run.status == "succeeded", run.error
    return run, official


def test_reviewers_read_each_experts_score_by_name(scored, reviewer):
    run, _official = scored

    shown = words(logged_in(reviewer).get(f"/reports/runs/{run.pk}/cities/440300/"))

    assert (
        "expert1: 0.90 (dropped) expert2: 0.90 expert3: 0.80 expert4: 0.70 expert5: 0.60 (dropped)"
        in shown
    )
    assert "Panel score 80.00% (the mean of the scores of 3 of 5 experts" in shown
    # Planned 10,000,000 for 2020 (none for 2021), spent 5,000,000: half, 5.00 of 10.
    assert "execution rate 50.00% of the planned 10,000,000.00 yuan for 2020-2021" in shown


def test_the_city_reads_its_experts_scores_without_their_names(scored, documents_settings):
    run, official = scored
    client = logged_in(official)

    shown = words(client.get(f"/reports/runs/{run.pk}/cities/440300/"))
    data = b"".join(
        client.get(f"/reports/runs/{run.pk}/cities/440300/scorecard.pdf").streaming_content
    )

    assert "Expert 1: 0.90 (dropped) Expert 2: 0.90" in shown
    assert "expert1" not in shown
    text = flat(pdf_text(data))
    assert flat("Expert 5: 0.60") in text and "expert1" not in text


def test_the_ranking_shows_each_citys_budget_execution_with_its_reason(scored, reviewer):
    run, _official = scored

    shown = words(logged_in(reviewer).get(f"/reports/runs/{run.pk}/ranking/"))

    assert "Budget execution" in shown
    assert "50.00% · 5.00 / 10.00 partial: 5,000,000.00 yuan spent" in shown


def test_a_reviewer_suspends_and_a_second_one_lifts_on_the_monitoring_page(
    programme, shenzhen, reviewer, signer
):
    page = f"/admin/monitoring/{programme.pk}/"
    first, second = logged_in(reviewer), logged_in(signer)
    reviewer.is_staff = signer.is_staff = True
    reviewer.save()
    signer.save()

    shown = words(first.get(page + "?as_of=2021-06-30"))
    assert "Shenzhen (440300)" in shown and "below the threshold" in shown
    first.post(
        f"{page}suspend/{shenzhen.pk}/", {"reason": "nothing spent", "next": page}, follow=True
    )
    suspension = PaymentSuspension.objects.get()
    refused = first.post(
        f"{page}lift/{suspension.pk}/", {"reason": "fine", "next": page}, follow=True
    )
    assert "a second reviewer must" in words(refused)
    second.post(f"{page}lift/{suspension.pk}/", {"reason": "spending resumed", "next": page})

    suspension.refresh_from_db()
    assert (suspension.suspended_by, suspension.reason) == (reviewer, "nothing spent")
    assert (suspension.lifted_by, suspension.lift_reason) == (signer, "spending resumed")


def test_only_reviewers_reach_the_monitoring_page(programme, shenzhen):
    official = UserFactory(username="li.wei")
    OfficialAssignment.objects.create(user=official, participation=shenzhen)
    scorer = expert("zhou.expert", shenzhen)
    page = f"/admin/monitoring/{programme.pk}/"
    for client in (logged_in(official), logged_in(scorer), Client()):
        response = client.get(page)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
        client.post(f"{page}suspend/{shenzhen.pk}/", {"reason": "x"})
    assert not PaymentSuspension.objects.exists()


def test_the_monitoring_page_reads_a_fixed_number_of_queries(programme, shenzhen, reviewer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import ParticipationFactory

    reviewer.is_staff = True
    reviewer.save()
    client = logged_in(reviewer)
    page = f"/admin/monitoring/{programme.pk}/?as_of=2021-06-30"
    with CaptureQueriesContext(connection) as few:
        client.get(page)
    for n in range(5):
        ParticipationFactory(programme=programme, city__code=f"99000{n}")
    with CaptureQueriesContext(connection) as many:
        shown = words(client.get(page))

    assert shown.count("Suspend the payment") == 6
    assert len(many) == len(few)
