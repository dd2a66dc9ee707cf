"""One official run per programme and date is decided; finalised periods stay closed."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from evaluation.models import EvaluationRun, Report, TrancheDecision
from evaluation.scoring import Period
from evaluation.services.decisions import decision_confirm
from evaluation.services.reporting import (
    Locked,
    report_approve,
    report_create,
    report_submit,
    report_values_set,
)
from evaluation.services.runs import evaluation_run_request
from tests.factories import ParticipationFactory, UserFactory, add_value, complete

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    group = Group.objects.get(name="reviewers")
    trigger, signer = UserFactory(username="trigger"), UserFactory(username="signer")
    for user in (trigger, signer):
        user.groups.add(group)
    return trigger, signer


@pytest.fixture
def official_run(programme, people, django_capture_on_commit_callbacks):
    participation = ParticipationFactory(programme=programme, city__code="440300")
    add_value(participation.city, "operation_centres", "2020", "3")

    def run() -> EvaluationRun:
        with django_capture_on_commit_callbacks(execute=True):
            queued = evaluation_run_request(programme=programme, trigger="api", by=people[0])
        return EvaluationRun.objects.get(pk=queued.pk)

    return run


def _decision(run: EvaluationRun) -> TrancheDecision:
    return TrancheDecision.objects.get(city_result__run=run)


def test_a_newer_official_run_for_the_same_date_supersedes_the_older(official_run, people):
    older, newer = official_run(), official_run()
    with pytest.raises(Locked, match=f"run #{newer.pk} is a newer official run"):
        decision_confirm(decision=_decision(older), by=people[1])
    assert decision_confirm(decision=_decision(newer), by=people[1]).status == "confirmed"


def test_once_a_run_is_being_decided_no_other_run_of_that_date_is(official_run, people):
    first = official_run()
    decision_confirm(decision=_decision(first), by=people[1])
    second = official_run()
    with pytest.raises(Locked, match=f"run #{first.pk} for the same date are already"):
        decision_confirm(decision=_decision(second), by=people[1])
    assert _decision(second).status == "recommended"


def test_a_report_submitted_before_finalisation_cannot_be_approved_after(
    programme, official_run, people
):
    participation = programme.participations.get()
    official = UserFactory(username="li")
    participation.officials.create(user=official)
    report = report_create(participation=participation, period=Period.parse("2021-06"), by=official)
    report = report_values_set(
        report=report,
        values=complete({"pledge_projects": "2"}),
        version=report.version,
        by=official,
    )
    report_submit(report=report, version=None, by=official)
    run = official_run()
    decision_confirm(decision=_decision(run), by=people[1])  # the run's only decision: final

    with pytest.raises(Locked, match="finalised"):
        report_approve(report=report, by=people[1])
    assert Report.objects.get(pk=report.pk).status == "submitted"
