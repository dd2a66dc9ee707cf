"""What is late or missing is visible: every period a city owes, with its state."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from evaluation.exceptions import NotFound
from evaluation.models import Indicator, Report
from evaluation.scoring import Period
from evaluation.selectors import participation_periods
from evaluation.services.reporting import report_create, report_submit, report_values_set
from tests.factories import add_value, complete

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


def _approve_every_indicator(city, period: str, *, but: str | None = None) -> None:
    for code in Indicator.objects.values_list("code", flat=True):
        if code != but:
            add_value(city, code, period, "1")


def test_a_period_whose_values_are_all_approved_outside_a_report_is_not_missing(
    api_a, api_anonymous, city_a, official_b
):
    """The demo and approved file loads hold values outside any report: such a period is
    there, not missing, not late, and no reminder goes out for it."""
    _approve_every_indicator(city_a.city, "2019")
    _approve_every_indicator(city_a.city, "2020-01")
    _approve_every_indicator(city_a.city, "2020-02", but="pledge_amount")
    add_value(city_a.city, "pledge_amount", "2020-03", "5", approved=False)

    response = api_a.get(f"/api/v1/participations/{city_a.pk}/periods/")

    rows = {row["period"]: row for row in response.json()}
    for label in ("2019", "2020-01"):
        assert (rows[label]["status"], rows[label]["late"], rows[label]["missing"]) == (
            "approved",
            False,
            False,
        )
    # One indicator short, or values only submitted: still missing, and late.
    for label in ("2020-02", "2020-03"):
        assert (rows[label]["status"], rows[label]["late"], rows[label]["missing"]) == (
            "missing",
            True,
            True,
        )
    assert api_anonymous.get(f"/api/v1/participations/{city_a.pk}/periods/").status_code in (
        401,
        403,
    )


def test_a_year_loaded_by_quarter_is_owed_by_quarter(api_a, city_a):
    for quarter in (1, 2, 3, 4):
        _approve_every_indicator(city_a.city, f"2020-Q{quarter}")

    rows = {
        row["period"]: row
        for row in api_a.get(f"/api/v1/participations/{city_a.pk}/periods/").json()
    }

    assert [label for label in rows if label.startswith("2020")] == [
        "2020-Q1",
        "2020-Q2",
        "2020-Q3",
        "2020-Q4",
    ]
    assert {rows[f"2020-Q{q}"]["status"] for q in (1, 2, 3, 4)} == {"approved"}


def test_the_selector_returns_typed_rows_to_those_who_may_see_the_city(
    city_a, official_a, official_b, reviewer
):
    today = dt.date(2020, 4, 10)  # March has ended; April has not, so it is not owed yet

    rows = participation_periods(participation=city_a, today=today, fetched_by=official_a)

    assert [(row.period, row.due_date, row.status) for row in rows] == [
        (Period.parse("2019"), dt.date(2020, 1, 15), "missing"),
        (Period.parse("2020-01"), dt.date(2020, 2, 15), "missing"),
        (Period.parse("2020-02"), dt.date(2020, 3, 15), "missing"),
        (Period.parse("2020-03"), dt.date(2020, 4, 15), "missing"),
    ]
    assert [row.late for row in rows] == [True, True, True, False]
    assert participation_periods(participation=city_a, today=today, fetched_by=reviewer) == rows
    with pytest.raises(NotFound):
        participation_periods(participation=city_a, today=today, fetched_by=official_b)
    with pytest.raises(NotFound):
        participation_periods(participation=city_a, today=today, fetched_by=AnonymousUser())


def test_the_periods_are_read_in_the_same_few_queries_however_many_there_are(
    api_a, city_a, official_a, django_assert_max_num_queries
):
    url = f"/api/v1/participations/{city_a.pk}/periods/"
    api_a.get(url)
    for month in range(1, 13):
        report = report_create(
            participation=city_a, period=Period.parse(f"2020-{month:02d}"), by=official_a
        )
        report_values_set(
            report=report, values={"pledge_projects": "3"}, version=report.version, by=official_a
        )
        _approve_every_indicator(city_a.city, f"2021-{month:02d}")

    with django_assert_max_num_queries(7):
        response = api_a.get(url)

    assert response.status_code == 200 and len(response.json()) == 37
