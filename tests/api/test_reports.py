"""Reports through the API: when they are due and late, how they are listed, the baseline year,
reopening, periods closed by a finalised evaluation, and the data-quality flags a reviewer
sees."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from evaluation.models import EvaluationRun, MetricValue, OfficialAssignment, Programme, Report
from tests.api.conftest import client_for
from tests.factories import ParticipationFactory, UserFactory, add_value, complete

pytestmark = pytest.mark.django_db


def open_report(client, participation, period: str) -> dict:
    response = client.post(
        "/api/v1/reports/", {"participation": participation.pk, "period": period}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()


def fill(client, report: dict, values: dict[str, str]) -> dict:
    response = client.put(
        f"/api/v1/reports/{report['id']}/values/",
        {"version": report["version"], "values": values},
        format="json",
    )
    assert response.status_code == 200, response.json()
    return response.json()


def submit(client, report: dict) -> dict:
    response = client.post(f"/api/v1/reports/{report['id']}/submit/", {}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def submitted_report(client, participation, period: str, values: dict[str, str]) -> dict:
    report = open_report(client, participation, period)
    return submit(client, fill(client, report, complete(values)))


def flags(report: dict) -> dict[str, str]:
    """Each value's flag, leaving out the zeros that only make the report complete."""
    return {
        v["indicator"]: v["flag"] for v in report["values"] if v["flag"] or Decimal(v["value"]) != 0
    }


# Due dates and lateness ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "due"),
    [
        ("2021-03", "2021-04-15"),
        ("2021-12", "2022-01-15"),
        ("2021-Q2", "2021-07-15"),
        ("2019", "2020-01-15"),
    ],
)
def test_a_report_is_due_on_the_15th_of_the_month_after_its_period(api_a, city_a, period, due):
    assert open_report(api_a, city_a, period)["due_date"] == due


def test_the_due_date_follows_the_programmes_due_day(api_a, city_a, programme):
    programme.report_due_day = 5
    programme.save()

    assert open_report(api_a, city_a, "2021-03")["due_date"] == "2021-04-05"
    assert open_report(api_a, city_a, "2021-12")["due_date"] == "2022-01-05"


@pytest.fixture
def april_10_2021(monkeypatch):
    """Today is 10 April 2021: March has ended and is due on the 15th, January is overdue."""
    now = dt.datetime(2021, 4, 10, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    monkeypatch.setattr(timezone, "now", lambda: now)


def test_an_unsubmitted_report_past_its_due_date_is_late(api_a, city_a, april_10_2021):
    past = open_report(api_a, city_a, "2021-01")
    current = open_report(api_a, city_a, "2021-03")

    assert past["is_late"] is True
    assert current["is_late"] is False


def test_a_report_submitted_after_its_due_date_is_late_and_one_on_time_is_not(
    api_a, city_a, april_10_2021
):
    late = submitted_report(api_a, city_a, "2021-01", {"pledge_projects": "4"})
    on_time = submitted_report(api_a, city_a, "2021-03", {"pledge_projects": "4"})

    assert (late["status"], late["is_late"]) == ("submitted", True)
    assert (on_time["status"], on_time["is_late"]) == ("submitted", False)


# Listing ------------------------------------------------------------------------------------


@pytest.fixture
def listed(api_a, api_b, city_a, city_b):
    """Reports of both cities of 2020, and one city of the 2019 programme."""
    submitted_report(api_a, city_a, "2021-01", {"pledge_projects": "4"})
    open_report(api_a, city_a, "2021-02")
    open_report(api_a, city_a, "2020-05")
    submitted_report(api_b, city_b, "2021-01", {"pledge_projects": "4"})
    older = ParticipationFactory(
        programme=Programme.objects.get(code="2019"),
        city__code="330100",
        total_amount=Decimal("150000000.00"),
        first_tranche=Decimal("100000000.00"),
    )
    official = UserFactory(username="official_2019")
    OfficialAssignment.objects.create(user=official, participation=older)
    open_report(client_for(official), older, "2021-01")


def listing(client, query: str = "") -> list[tuple[str, str, str, str]]:
    response = client.get(f"/api/v1/reports/{query}")
    assert response.status_code == 200, response.json()
    return sorted(
        (r["programme"], r["city"], r["period"], r["status"]) for r in response.json()["results"]
    )


@pytest.mark.usefixtures("listed")
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "?status=submitted",
            [
                ("2020", "110105", "2021-01", "submitted"),
                ("2020", "440300", "2021-01", "submitted"),
            ],
        ),
        ("?city=110105", [("2020", "110105", "2021-01", "submitted")]),
        ("?year=2020", [("2020", "440300", "2020-05", "draft")]),
        ("?programme=2019", [("2019", "330100", "2021-01", "draft")]),
        (
            "?programme=2020&city=440300&status=draft",
            [("2020", "440300", "2020-05", "draft"), ("2020", "440300", "2021-02", "draft")],
        ),
    ],
)
def test_reviewers_filter_reports_by_status_city_year_and_programme(api_reviewer, query, expected):
    assert listing(api_reviewer, query) == expected


@pytest.mark.usefixtures("listed")
def test_an_official_lists_only_their_own_citys_reports(api_a, api_anonymous):
    assert listing(api_a) == [
        ("2020", "440300", "2020-05", "draft"),
        ("2020", "440300", "2021-01", "submitted"),
        ("2020", "440300", "2021-02", "draft"),
    ]
    assert listing(api_a, "?city=110105") == []
    assert api_anonymous.get("/api/v1/reports/").status_code in (401, 403)


# Periods ------------------------------------------------------------------------------------


def test_the_baseline_year_is_reported_as_one_annual_report(api_a, city_a):
    report = open_report(api_a, city_a, "2019")
    assert report["period"] == "2019"

    sent = submitted_report(api_a, city_a, "2019", {"transfer_licence_count": "1000"})

    assert sent["id"] == report["id"]
    assert (sent["status"], sent["values"][0]["value"]) == ("submitted", "1000.00")
    value = MetricValue.objects.get(
        city=city_a.city, year=2019, indicator__code="transfer_licence_count"
    )
    assert (value.granularity, value.number) == ("year", 0)


def test_a_period_before_the_baseline_year_is_refused(api_a, city_a):
    response = api_a.post(
        "/api/v1/reports/", {"participation": city_a.pk, "period": "2018"}, format="json"
    )

    assert response.status_code == 400
    assert "baseline year 2019" in response.json()["errors"][0]["reason"]
    assert not Report.objects.exists()


def test_opening_the_same_period_twice_returns_the_same_report(api_a, city_a):
    first = fill(api_a, open_report(api_a, city_a, "2021-06"), {"pledge_projects": "4"})
    again = open_report(api_a, city_a, "2021-06")

    assert again["id"] == first["id"]
    assert again["version"] == first["version"]
    assert again["values"] == first["values"]
    assert Report.objects.filter(participation=city_a).count() == 1


def test_another_citys_official_cannot_open_a_report_for_it(api_b, city_a):
    response = api_b.post(
        "/api/v1/reports/", {"participation": city_a.pk, "period": "2021-06"}, format="json"
    )

    assert response.status_code == 404
    assert not Report.objects.exists()


# Reopening ----------------------------------------------------------------------------------


def test_a_reviewer_reopens_an_approved_report_with_a_reason(api_a, api_reviewer, city_a):
    report = submitted_report(api_a, city_a, "2021-04", {"pledge_projects": "4"})
    url = f"/api/v1/reports/{report['id']}/"
    assert api_reviewer.post(url + "approve/").json()["status"] == "approved"
    assert set(
        MetricValue.objects.filter(report_id=report["id"]).values_list("status", flat=True)
    ) == {"approved"}

    reopened = api_reviewer.post(
        url + "reopen/", {"reason": "the bank corrected its figures"}, format="json"
    )

    assert reopened.status_code == 200, reopened.json()
    seen = api_a.get(url).json()
    assert (seen["status"], seen["review_comment"]) == (
        "returned",
        "the bank corrected its figures",
    )
    assert {v["status"] for v in seen["values"]} == {"draft"}
    # The city may correct it again.
    fixed = fill(api_a, seen, {"pledge_projects": "5"})
    assert {v["indicator"]: v["value"] for v in fixed["values"]}["pledge_projects"] == "5.00"


def test_reopening_needs_a_reason_and_a_reviewer(api_a, api_reviewer, city_a):
    report = submitted_report(api_a, city_a, "2021-04", {"pledge_projects": "4"})
    url = f"/api/v1/reports/{report['id']}/"
    api_reviewer.post(url + "approve/")

    no_reason = api_reviewer.post(url + "reopen/", {"reason": "  "}, format="json")
    by_official = api_a.post(url + "reopen/", {"reason": "we made a mistake"}, format="json")

    assert no_reason.status_code == 400
    assert no_reason.json()["errors"][0]["field"] == "reason"
    assert by_official.status_code == 403
    assert api_a.get(url).json()["status"] == "approved"


# Closed periods -----------------------------------------------------------------------------


def test_a_period_closes_once_the_official_evaluation_covering_it_is_finalised(
    api_a, api_reviewer, second_reviewer, city_a, city_b, django_capture_on_commit_callbacks
):
    draft = fill(api_a, open_report(api_a, city_a, "2021-05"), {"pledge_projects": "4"})
    with django_capture_on_commit_callbacks(execute=True):
        queued = api_reviewer.post("/api/v1/runs/", {"programme": "2020"}, format="json")
    assert queued.status_code == 202, queued.json()
    run = EvaluationRun.objects.get(pk=queued.json()["id"])
    assert (run.status, run.as_of) == ("succeeded", dt.date(2021, 12, 31))
    signer = client_for(second_reviewer)
    first, second = run.city_results.order_by("pk").values_list("decision__pk", flat=True)

    # Not final while a decision is pending: the city can still change the period.
    assert signer.post(f"/api/v1/decisions/{first}/confirm/").status_code == 200
    draft = fill(api_a, draft, {"pledge_projects": "5"})

    assert signer.post(f"/api/v1/decisions/{second}/confirm/").status_code == 200
    changed = api_a.put(
        f"/api/v1/reports/{draft['id']}/values/",
        {"version": draft["version"], "values": {"pledge_projects": "6"}},
        format="json",
    )
    opened = api_a.post(
        "/api/v1/reports/", {"participation": city_a.pk, "period": "2021-06"}, format="json"
    )
    submitted = api_a.post(f"/api/v1/reports/{draft['id']}/submit/", {}, format="json")

    for refused in (changed, opened, submitted):
        assert refused.status_code == 409, refused.json()
        reason = refused.json()["errors"][0]["reason"]
        assert "finalised" in reason
        assert f"run #{run.pk}" in reason
    assert MetricValue.objects.get(report_id=draft["id"]).value == Decimal("5.00")
    # A period after the evaluation's as-of date stays open.
    assert open_report(api_a, city_a, "2022-01")["status"] == "draft"


# Data-quality flags -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "flagged"),
    [
        ("31", "31.00 is more than 3 times the 2020-03 value 10.00"),
        ("30", ""),
        ("4", ""),
        ("3", "3.00 is less than 1/3 of the 2020-03 value 10.00"),
    ],
)
def test_a_value_far_from_a_year_earlier_is_flagged_not_refused(api_a, city_a, value, flagged):
    add_value(city_a.city, "pledge_projects", "2020-03", "10")

    report = submitted_report(api_a, city_a, "2021-03", {"pledge_projects": value})

    assert report["status"] == "submitted"
    assert flags(report) == {"pledge_projects": flagged}


def test_the_programmes_quality_factor_decides_what_is_flagged(api_a, city_a, programme):
    add_value(city_a.city, "pledge_projects", "2020-03", "10")
    add_value(city_a.city, "pledge_amount", "2020-03", "100")
    programme.quality_factor = Decimal("5")
    programme.save()

    report = submitted_report(
        api_a, city_a, "2021-03", {"pledge_projects": "31", "pledge_amount": "501"}
    )

    assert flags(report) == {
        "pledge_projects": "",
        "pledge_amount": "501.00 is more than 5 times the 2020-03 value 100.00",
    }


def test_a_value_without_a_year_earlier_is_not_flagged(api_a, city_a):
    add_value(city_a.city, "pledge_projects", "2020-04", "10")

    report = submitted_report(api_a, city_a, "2021-03", {"pledge_projects": "1000"})

    assert flags(report) == {"pledge_projects": ""}


def test_a_cumulative_total_lowered_after_submission_is_flagged(api_a, api_reviewer, city_a):
    report = submitted_report(
        api_a, city_a, "2021-04", {"sme_transformations": "50", "pledge_projects": "8"}
    )
    url = f"/api/v1/reports/{report['id']}/"
    returned = api_reviewer.post(url + "return/", {"comment": "check the SMEs"}, format="json")
    assert returned.status_code == 200, returned.json()

    lowered = fill(
        api_a, api_a.get(url).json(), {"sme_transformations": "40", "pledge_projects": "6"}
    )

    assert lowered["status"] == "returned"
    assert flags(lowered)["sme_transformations"].startswith("the running total would fall")
    assert "lowered from 50.00 to 40" in flags(lowered)["sme_transformations"]
    # A growth indicator may go down: that is not a running total.
    assert flags(lowered)["pledge_projects"] == ""
    # The flag stays for the reviewer once the report is submitted again.
    resubmitted = submit(api_a, lowered)
    assert flags(resubmitted)["sme_transformations"].startswith("the running total would fall")


def test_a_cumulative_total_raised_after_submission_is_not_flagged(api_a, api_reviewer, city_a):
    report = submitted_report(api_a, city_a, "2021-04", {"sme_transformations": "50"})
    url = f"/api/v1/reports/{report['id']}/"
    api_reviewer.post(url + "return/", {"comment": "check the SMEs"}, format="json")

    raised = fill(api_a, api_a.get(url).json(), {"sme_transformations": "60"})

    assert flags(raised) == {"sme_transformations": ""}


def test_an_incomplete_report_is_refused_naming_every_indicator_without_a_value(api_a, city_a):
    report = fill(api_a, open_report(api_a, city_a, "2021-04"), {"pledge_projects": "4"})

    response = api_a.post(f"/api/v1/reports/{report['id']}/submit/", {}, format="json")

    assert response.status_code == 400
    fields = [error["field"] for error in response.json()["errors"]]
    assert len(fields) == 9 and "values.pledge_projects" not in fields
    assert "values.operation_centres" in fields
    assert api_a.get(f"/api/v1/reports/{report['id']}/").json()["status"] == "draft"
    # Zero is a value: the same report with zeros for the rest goes through.
    completed = fill(api_a, report, complete({"pledge_projects": "4"}))
    assert submit(api_a, completed)["status"] == "submitted"
