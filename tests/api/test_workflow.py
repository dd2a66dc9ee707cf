"""The whole story through the API alone: an official reports a month, a reviewer returns it,
the official fixes and resubmits it, the reviewer approves it, and the next evaluation counts
it. The other city's official can do none of it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evaluation.models import CityResult, EvaluationRun, MetricValue, Report, TrancheDecision
from evaluation.services.decisions import decision_confirm
from tests.factories import add_value, complete

pytestmark = pytest.mark.django_db


def test_an_official_reports_a_month_through_review_to_the_evaluation(
    api_a, api_b, api_reviewer, second_reviewer, city_a, django_capture_on_commit_callbacks
):
    # A baseline and 11 approved months of 2021 already exist; December is the month reported.
    add_value(city_a.city, "transfer_licence_count", "2019", "1000")
    for month in range(1, 12):
        add_value(city_a.city, "transfer_licence_count", f"2021-{month:02d}", "100")

    created = api_a.post(
        "/api/v1/reports/", {"participation": city_a.pk, "period": "2021-12"}, format="json"
    )
    assert created.status_code == 201, created.json()
    report = created.json()
    assert (report["status"], report["period"], report["due_date"]) == (
        "draft",
        "2021-12",
        "2022-01-15",
    )
    url = f"/api/v1/reports/{report['id']}/"

    filled = api_a.put(
        url + "values/",
        {"version": report["version"], "values": complete({"transfer_licence_count": "90"})},
        format="json",
    )
    assert filled.status_code == 200, filled.json()
    assert api_a.post(url + "submit/", {}, format="json").json()["status"] == "submitted"

    # The other city's official cannot see, fill, submit or review it.
    assert api_b.get(url).status_code == 404
    assert (
        api_b.put(url + "values/", {"version": 3, "values": {}}, format="json").status_code == 404
    )
    assert api_b.post(url + "approve/").status_code == 404

    returned = api_reviewer.post(url + "return/", {"comment": "December looks low"}, format="json")
    assert returned.status_code == 200, returned.json()
    seen = api_a.get(url).json()
    assert (seen["status"], seen["review_comment"]) == ("returned", "December looks low")

    fixed = api_a.put(
        url + "values/",
        {"version": seen["version"], "values": {"transfer_licence_count": "300"}},
        format="json",
    )
    assert fixed.status_code == 200, fixed.json()
    assert api_a.post(url + "submit/", {}, format="json").json()["status"] == "submitted"
    approved = api_reviewer.post(url + "approve/")
    assert approved.json()["status"] == "approved"
    value = MetricValue.objects.get(
        city=city_a.city, year=2021, number=12, indicator__code="transfer_licence_count"
    )
    assert (value.status, value.value) == ("approved", Decimal("300.00"))

    # Approved reports are locked for the official.
    locked = api_a.put(
        url + "values/",
        {"version": approved.json()["version"], "values": {"transfer_licence_count": "1"}},
        format="json",
    )
    assert locked.status_code == 409
    assert "locked" in locked.json()["errors"][0]["reason"]

    with django_capture_on_commit_callbacks(execute=True):
        queued = api_reviewer.post("/api/v1/runs/", {"programme": "2020"}, format="json")
    assert queued.status_code == 202, queued.json()
    run = EvaluationRun.objects.get(pk=queued.json()["id"])
    assert run.status == "succeeded"
    result = CityResult.objects.get(run=run, participation=city_a)
    transfers = result.indicator_results.get(indicator__code="transfer_licence_count")
    # 11 x 100 + 300 = 1,400 in 2021 against 1,000 in 2019: 18.32% a year, partial.
    assert transfers.final_value == Decimal("1400.00")
    assert transfers.status == "partial"

    # An official run's result is the city's once it is finalised (its amounts are decided
    # then): until every decision is signed off, the official sees none of it.
    assert api_a.get(f"/api/v1/results/{result.pk}/").status_code == 404
    assert api_a.get("/api/v1/results/").json()["results"] == []
    for decision in TrancheDecision.objects.filter(city_result__run=run):
        decision_confirm(decision=decision, by=second_reviewer)
    mine = api_a.get(f"/api/v1/results/?run={run.pk}").json()
    assert [r["city"]["code"] for r in mine["results"]] == ["440300"]
    assert api_b.get(f"/api/v1/results/{result.pk}/").status_code == 404


def test_a_stale_update_is_refused_and_changes_nothing(api_a, city_a):
    report = api_a.post(
        "/api/v1/reports/", {"participation": city_a.pk, "period": "2021-03"}, format="json"
    ).json()
    url = f"/api/v1/reports/{report['id']}/values/"
    first = {"version": report["version"], "values": {"pledge_projects": "4"}}
    assert api_a.put(url, first, format="json").status_code == 200

    # The same request again is harmless: nothing to change.
    again = api_a.put(url, first, format="json")
    assert again.status_code == 200
    assert again.json()["version"] == report["version"] + 1

    # A different change based on the old version is refused with 409.
    stale = api_a.put(
        url, {"version": report["version"], "values": {"pledge_projects": "5"}}, format="json"
    )
    assert stale.status_code == 409
    assert stale.json()["errors"][0]["field"] == "version"
    assert MetricValue.objects.get(report_id=report["id"]).value == Decimal("4.00")
    assert Report.objects.get(pk=report["id"]).version == report["version"] + 1
