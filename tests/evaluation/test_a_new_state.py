"""A report state added to the workflow table alone is followed everywhere: registered from this
test as adding its entry to ``evaluation.workflow.REPORT`` would (a throwaway "on hold for a spot
check" state, from which a reviewer approves or returns the report), the city's edits are refused
with the state's own reason and code and change nothing, the portal's period page says why, the
admin offers the reviewer's steps the table names, the dashboard counts the report as awaiting
review and links to it, and approving it works, with no other change to the code.

The step that leads into a new state is a verb of its own (a service such as ``report_hold``,
with its own tests); here the report is put in the state directly, so that what is shown is what
the table alone gives. README, "Adding a workflow state", lists the files a real state touches.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from django.test import Client
from django.urls import reverse

from evaluation import selectors, workflow
from evaluation.exceptions import Locked
from evaluation.models import MetricValue, Report
from evaluation.scoring import Period
from evaluation.services import reporting
from evaluation.services.people import role_grant
from reports.selectors import dashboard_get
from tests.factories import ParticipationFactory, UserFactory, complete

pytestmark = pytest.mark.django_db
REPORT = workflow.REPORT
MARCH = Period.parse("2021-03")
HELD_REASON = "the report for %(period)s is %(status)s: a reviewer is checking it on the spot"

ON_HOLD = workflow.State(
    "on_hold",
    "on hold for a spot check",
    "on hold",
    locked=HELD_REASON,
    values="submitted",
    awaits=workflow.Actor.REVIEWER,
)


@pytest.fixture(autouse=True)
def on_hold(monkeypatch):
    """The new state, and the existing review steps taking it as a source: the whole diff to
    ``workflow.py`` (its ``State`` entry, and ``"on_hold"`` added to two steps' ``sources``)."""
    monkeypatch.setitem(REPORT.states, ON_HOLD.code, ON_HOLD)
    for code in ("approve", "return"):
        step = REPORT.step(code)
        monkeypatch.setitem(
            REPORT.steps, code, replace(step, sources=(*step.sources, ON_HOLD.code))
        )


@pytest.fixture
def hefei(programme):
    return ParticipationFactory(programme=programme, city__code="340100")


@pytest.fixture
def official(hefei):
    user = UserFactory(username="li.wei")
    hefei.officials.create(user=user)
    return user


@pytest.fixture
def checker(db):
    user = UserFactory(username="wang.fang")
    role_grant(user=user, role="reviewer", by=None)
    return user


@pytest.fixture
def held(hefei, official) -> Report:
    """March 2021's report, submitted, then put on hold (the new step's own service would)."""
    report = reporting.report_create(participation=hefei, period=MARCH, by=official)
    report = reporting.report_values_set(
        report=report,
        values=complete({"pledge_projects": "4"}),
        version=report.version,
        by=official,
    )
    report = reporting.report_submit(report=report, version=None, by=official)
    Report.objects.filter(pk=report.pk).update(status=ON_HOLD.code)
    return Report.objects.get(pk=report.pk)


def snapshot(report: Report) -> tuple:
    report = Report.objects.get(pk=report.pk)
    values = tuple(
        MetricValue.objects.filter(report=report).order_by("pk").values_list("value", "status")
    )
    return report.status, report.version, values


def test_the_city_cannot_change_a_report_on_hold_and_is_told_why(held, hefei, official):
    before = snapshot(held)
    with pytest.raises(Locked) as refused:
        reporting.report_values_set(
            report=held, values={"pledge_projects": "5"}, version=held.version, by=official
        )
    [error] = refused.value.errors
    assert error.code == "report_on_hold"
    assert "is on hold: a reviewer is checking it on the spot" in error.reason
    assert snapshot(held) == before

    client = Client()
    client.force_login(official)
    page = client.get(reverse("cities:period", args=[hefei.pk, MARCH.label]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "on hold for a spot check" in text
    assert "is on hold: a reviewer is checking it on the spot" in text


def test_the_period_does_not_await_the_city(held, hefei, official):
    [row] = [
        row
        for row in selectors.participation_periods(
            participation=hefei, today=dt.date(2021, 6, 1), fetched_by=official
        )
        if row.period == MARCH
    ]
    assert row.status == ON_HOLD.code
    assert not row.fillable
    assert not row.awaits_city
    assert row.state_label == "on hold for a spot check"


def test_the_reviewer_is_offered_the_steps_the_table_names_and_may_take_them(held, checker):
    assert [s.code for s in selectors.report_review_steps(report=held)] == ["approve", "return"]
    approved = reporting.report_approve(report=held, by=checker)
    assert approved.status == REPORT.target_of("approve")
    assert set(MetricValue.objects.filter(report=approved).values_list("status", flat=True)) == {
        MetricValue.Status.APPROVED
    }


def test_the_dashboard_counts_it_as_awaiting_review_and_links_to_it(held, programme, checker):
    board = dashboard_get(programme=programme, today=dt.date(2021, 6, 1), fetched_by=checker)
    assert board.awaiting_total == 1
    # The link the dashboard gives opens the admin's list with the held report in it.
    client = Client()
    client.force_login(checker)
    page = client.get(reverse("admin:evaluation_report_changelist") + "?" + board.awaiting_filter)
    assert page.status_code == 200
    assert [report.pk for report in page.context["cl"].result_list] == [held.pk]
