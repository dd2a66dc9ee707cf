"""The reporting workflow as a service (``evaluation.services.reporting``), without the API: a
city's official fills in and submits a period's report, a reviewer approves, returns or
reopens it; every refusal changes nothing, every change is in the history with who did it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from evaluation.exceptions import Forbidden, Locked, NotFound, StaleVersion, WorkflowError
from evaluation.models import MetricValue, OutboxTask, Report
from evaluation.scoring import Period
from evaluation.services.reporting import (
    report_approve,
    report_create,
    report_reopen,
    report_return,
    report_submit,
    report_values_set,
)
from tests.factories import ParticipationFactory, UserFactory, add_value, complete

pytestmark = pytest.mark.django_db
MARCH = Period.parse("2021-03")


@pytest.fixture
def hefei(programme):
    return ParticipationFactory(programme=programme, city__code="340100", city__name_en="Hefei")


@pytest.fixture
def official(hefei):
    user = UserFactory(username="li.wei")
    hefei.officials.create(user=user)
    return user


@pytest.fixture
def stranger(programme):
    """An official of another city."""
    other = ParticipationFactory(programme=programme, city__code="650100")
    user = UserFactory(username="aili")
    other.officials.create(user=user)
    return user


@pytest.fixture
def reviewer(db):
    user = UserFactory(username="wang.fang")
    user.groups.add(Group.objects.get(name="reviewers"))
    return user


def filled(hefei, official, values=None) -> Report:
    report = report_create(participation=hefei, period=MARCH, by=official)
    return report_values_set(
        report=report,
        values=values or complete({"pledge_projects": "4", "pledge_amount": "120.50"}),
        version=report.version,
        by=official,
    )


def test_a_report_goes_from_draft_to_approved_and_each_step_is_recorded(hefei, official, reviewer):
    report = filled(hefei, official)
    assert report_create(participation=hefei, period=MARCH, by=official) == report

    report = report_submit(report=report, version=report.version, by=official)
    assert OutboxTask.objects.filter(task="evaluation.tasks.notify_reviewers").count() == 1
    report = report_approve(report=report, by=reviewer)

    assert report.status == Report.Status.APPROVED
    assert set(report.values.values_list("status", flat=True)) == {"approved"}
    steps = [
        (h.history_change_reason, h.history_user.username)
        for h in Report.history.filter(id=report.pk).order_by("history_id")
    ]
    assert steps == [
        ("report created", "li.wei"),
        (f"report {report.pk} values set", "li.wei"),
        ("submitted", "li.wei"),
        ("approved", "wang.fang"),
    ]


def test_a_stale_version_is_refused_and_repeating_a_request_is_harmless(hefei, official):
    report = filled(hefei, official)
    old = report.version - 1

    same = report_values_set(
        report=report, values={"pledge_projects": "4"}, version=old, by=official
    )
    assert same.version == report.version
    with pytest.raises(StaleVersion):
        report_values_set(report=report, values={"pledge_projects": "5"}, version=old, by=official)
    assert MetricValue.objects.get(indicator__code="pledge_projects").value == Decimal("4")


def test_returned_reports_go_back_to_the_city_and_reopened_ones_stop_counting(
    hefei, official, reviewer
):
    report = report_submit(report=filled(hefei, official), version=None, by=official)
    with pytest.raises(WorkflowError, match="say what the city should fix"):
        report_return(report=report, comment="  ", by=reviewer)

    report = report_return(report=report, comment="March looks low", by=reviewer)
    assert (report.status, report.review_comment) == ("returned", "March looks low")
    report = report_submit(report=report, version=None, by=official)
    report = report_approve(report=report, by=reviewer)
    with pytest.raises(WorkflowError, match="written reason"):
        report_reopen(report=report, reason="", by=reviewer)

    report = report_reopen(report=report, reason="pledge amount corrected", by=reviewer)

    assert report.status == Report.Status.RETURNED
    assert not MetricValue.objects.filter(status="approved").exists()


def test_a_submitted_or_approved_report_is_locked_for_the_city(hefei, official, reviewer):
    report = report_submit(report=filled(hefei, official), version=None, by=official)
    with pytest.raises(Locked, match="awaiting review"):
        report_values_set(report=report, values={"pledge_projects": "9"}, version=99, by=official)
    report = report_approve(report=report, by=reviewer)
    with pytest.raises(Locked, match="locked"):
        report_values_set(report=report, values={"pledge_projects": "9"}, version=99, by=official)
    assert MetricValue.objects.get(indicator__code="pledge_projects").value == Decimal("4")


def test_who_may_do_what(hefei, official, stranger, reviewer):
    with pytest.raises(NotFound):
        report_create(participation=hefei, period=MARCH, by=stranger)
    with pytest.raises(Forbidden):
        report_create(participation=hefei, period=MARCH, by=reviewer)
    report = report_submit(report=filled(hefei, official), version=None, by=official)
    with pytest.raises(Forbidden):
        report_approve(report=report, by=official)
    with pytest.raises(NotFound):
        report_submit(report=report, version=None, by=stranger)
    assert Report.objects.get().status == Report.Status.SUBMITTED


def test_a_value_of_a_year_already_stored_in_another_granularity_is_refused(hefei, official):
    add_value(hefei.city, "pledge_amount", "2021-Q1", "300")
    report = report_create(participation=hefei, period=MARCH, by=official)

    with pytest.raises(WorkflowError) as refused:
        report_values_set(
            report=report, values={"pledge_amount": "100"}, version=report.version, by=official
        )

    (error,) = refused.value.errors
    assert error.field == "values.pledge_amount"
    assert "would mix month and quarter figures (already stored: 2021-Q1)" in error.reason
    assert MetricValue.objects.count() == 1


def test_a_figure_approved_outside_the_report_counts_and_stays_as_it_is(hefei, official, reviewer):
    """An audited file approved one figure of the period; the city reports the rest. The
    report is complete with it, and whatever the report goes through (submitted, returned,
    approved) the audited figure stays approved, outside the report."""
    audited = add_value(hefei.city, "pledge_projects", "2021-03", "3")
    rest = complete({})
    del rest["pledge_projects"]
    report = filled(hefei, official, rest)

    report = report_submit(report=report, version=None, by=official)
    report = report_return(report=report, comment="请核对", by=reviewer)
    report = report_submit(report=report, version=None, by=official)
    report_approve(report=report, by=reviewer)

    kept = MetricValue.objects.get(pk=audited.pk)
    assert (kept.status, kept.report_id, kept.approved_at) == (
        "approved",
        None,
        audited.approved_at,
    )
    assert kept.history.count() == 1  # never touched
    assert MetricValue.objects.filter(report=report, status="approved").count() == 9
