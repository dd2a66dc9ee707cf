"""What is late or missing is visible: every period a city owes, with its state."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from evaluation.models import Report
from evaluation.scoring import Period
from evaluation.services.reporting import report_create, report_submit, report_values_set
from tests.factories import complete

pytestmark = pytest.mark.django_db


def test_periods_show_missing_late_and_on_time_reports(api_a, api_b, city_a, official_a):
    on_time = report_create(participation=city_a, period=Period.parse("2020-01"), by=official_a)
    on_time = report_values_set(
        report=on_time,
        values=complete({"pledge_projects": "3"}),
        version=on_time.version,
        by=official_a,
    )
    report_submit(report=on_time, version=None, by=official_a)
    Report.objects.filter(pk=on_time.pk).update(
        submitted_at=timezone.make_aware(dt.datetime(2020, 2, 10))
    )
    late = report_create(participation=city_a, period=Period.parse("2020-02"), by=official_a)
    late = report_values_set(
        report=late, values=complete({"pledge_projects": "3"}), version=late.version, by=official_a
    )
    report_submit(report=late, version=None, by=official_a)  # submitted today: years late

    response = api_a.get(f"/api/v1/participations/{city_a.pk}/periods/")

    assert response.status_code == 200
    rows = {row["period"]: row for row in response.json()}
    # The baseline year as one annual report, then the construction years month by month.
    assert list(rows)[:3] == ["2019", "2020-01", "2020-02"]
    assert len(rows) == 1 + 36
    assert rows["2020-01"] | {"report": None} == {
        "period": "2020-01",
        "due_date": "2020-02-15",
        "report": None,
        "status": "submitted",
        "late": False,
        "missing": False,
    }
    assert (rows["2020-02"]["status"], rows["2020-02"]["late"]) == ("submitted", True)
    assert rows["2020-03"] == {
        "period": "2020-03",
        "due_date": "2020-04-15",
        "report": None,
        "status": "missing",
        "late": True,
        "missing": True,
    }
    assert rows["2019"]["due_date"] == "2020-01-15"

    assert api_b.get(f"/api/v1/participations/{city_a.pk}/periods/").status_code == 404
