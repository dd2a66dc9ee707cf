"""Reads that depend on who asks: the audit history as the API, the admin and the portal show
it (typed rows, reviewers only)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from evaluation.exceptions import Forbidden, NotFound
from evaluation.scoring import Period
from evaluation.selectors import FieldChange, object_history
from evaluation.services.reporting import report_create, report_submit, report_values_set
from tests.factories import ParticipationFactory, UserFactory, complete

pytestmark = pytest.mark.django_db


def test_a_reports_history_lists_its_own_and_its_values_changes_oldest_first(programme, reviewer):
    city_a = ParticipationFactory(programme=programme, city__code="440300")
    official_a = UserFactory(username="official_a")
    city_a.officials.create(user=official_a)
    report = report_create(participation=city_a, period=Period.parse("2021-03"), by=official_a)
    report = report_values_set(
        report=report,
        values=complete({"pledge_projects": "4"}),
        version=report.version,
        by=official_a,
    )
    report_submit(report=report, version=None, by=official_a)

    entries = object_history(model="report", pk=report.pk, fetched_by=reviewer)

    assert [(e.object, e.type, e.by) for e in entries][:2] == [
        ("report", "created", "official_a"),
        ("metricvalue", "created", "official_a"),
    ]
    submitted = [e for e in entries if e.object == "report" and e.reason == "submitted"]
    assert FieldChange("status", "draft", "submitted") in submitted[0].changes
    assert [e.at for e in entries] == sorted(e.at for e in entries)

    with pytest.raises(Forbidden):
        object_history(model="report", pk=report.pk, fetched_by=official_a)
    with pytest.raises(Forbidden):
        object_history(model="report", pk=report.pk, fetched_by=AnonymousUser())
    with pytest.raises(NotFound):
        object_history(model="report", pk=report.pk + 100, fetched_by=reviewer)
    with pytest.raises(NotFound):
        object_history(model="user", pk=1, fetched_by=reviewer)
