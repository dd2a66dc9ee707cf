"""The audit trail through the API: who changed what, when, why, and from what to what."""

from __future__ import annotations

import datetime as dt

import pytest

from evaluation.models import EvaluationRun, Target, TrancheDecision
from evaluation.services.imports import targets_import
from tests.api.conftest import client_for
from tests.conftest import csv_bytes
from tests.factories import complete

pytestmark = pytest.mark.django_db


def audit(client, model: str, pk: int) -> list[dict]:
    response = client.get(f"/api/v1/audit/{model}/{pk}/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["model"], body["id"]) == (model, pk)
    return body["entries"]


def change(entry: dict, field: str) -> tuple[object, object] | None:
    """(old, new) of ``field`` in ``entry``, or None when the entry does not change it."""
    for item in entry["changes"]:
        if item["field"] == field:
            return item["old"], item["new"]
    return None


def history(entries: list[dict], obj: str, field: str) -> list[tuple[object, object, str, str]]:
    """Every change of ``field`` of the ``obj`` entries: (old, new, by, reason), oldest first."""
    return [
        (*found, entry["by"], entry["reason"])
        for entry in entries
        if entry["object"] == obj and (found := change(entry, field)) is not None
    ]


@pytest.fixture
def reviewed_report(api_a, api_reviewer, city_a) -> int:
    """A report filled with 90, submitted, returned, fixed to 300, submitted and approved."""
    report = api_a.post(
        "/api/v1/reports/", {"participation": city_a.pk, "period": "2021-12"}, format="json"
    ).json()
    url = f"/api/v1/reports/{report['id']}/"

    def put(value: str) -> None:
        version = api_a.get(url).json()["version"]
        values = {"transfer_licence_count": value}
        body = {"version": version, "values": complete(values) if value == "90" else values}
        assert api_a.put(url + "values/", body, format="json").status_code == 200

    put("90")
    assert api_a.post(url + "submit/", {}, format="json").status_code == 200
    returned = api_reviewer.post(url + "return/", {"comment": "December looks low"}, format="json")
    assert returned.status_code == 200
    put("300")
    assert api_a.post(url + "submit/", {}, format="json").status_code == 200
    assert api_reviewer.post(url + "approve/").status_code == 200
    return report["id"]


def test_a_reports_audit_shows_who_created_it(api_reviewer, reviewed_report):
    entries = audit(api_reviewer, "report", reviewed_report)

    created = [e for e in entries if e["object"] == "report" and e["type"] == "created"]
    assert len(created) == 1
    assert (created[0]["by"], created[0]["reason"]) == ("official_a", "report created")
    assert change(created[0], "status") == (None, "draft")
    assert dt.datetime.fromisoformat(created[0]["at"]) <= dt.datetime.now(dt.UTC)
    assert all({"object", "type", "at", "by", "reason", "changes"} <= set(e) for e in entries)


def test_a_reports_audit_shows_every_status_change_with_who_and_why(api_reviewer, reviewed_report):
    entries = audit(api_reviewer, "report", reviewed_report)

    assert history(entries, "report", "status") == [
        (None, "draft", "official_a", "report created"),
        ("draft", "submitted", "official_a", "submitted"),
        ("submitted", "returned", "reviewer", "returned: December looks low"),
        ("returned", "submitted", "official_a", "submitted"),
        ("submitted", "approved", "reviewer", "approved"),
    ]
    assert history(entries, "report", "review_comment")[-2:] == [
        ("", "December looks low", "reviewer", "returned: December looks low"),
        ("December looks low", "", "reviewer", "approved"),
    ]
    stamps = [dt.datetime.fromisoformat(e["at"]) for e in entries]
    assert stamps == sorted(stamps)


def test_a_reports_audit_includes_its_values_old_and_new(api_reviewer, reviewed_report):
    entries = audit(api_reviewer, "report", reviewed_report)
    reason = f"report {reviewed_report} values set"

    # The other nine indicators were filled with 0 to make the report complete.
    values = history(entries, "metricvalue", "value")
    assert values.count((None, "0.00", "official_a", reason)) == 9
    assert [v for v in values if v[:2] != (None, "0.00")] == [
        (None, "90.00", "official_a", reason),
        ("90.00", "300.00", "official_a", reason),
    ]
    statuses = [(old, new, by) for old, new, by, _ in history(entries, "metricvalue", "status")]
    assert len(statuses) == 5 * 10  # each step moves the ten values together
    assert statuses[::10] == [
        (None, "draft", "official_a"),
        ("draft", "submitted", "official_a"),
        ("submitted", "draft", "reviewer"),
        ("draft", "submitted", "official_a"),
        ("submitted", "approved", "reviewer"),
    ]


def test_a_value_has_its_own_audit(api_reviewer, reviewed_report):
    report = api_reviewer.get(f"/api/v1/reports/{reviewed_report}/").json()
    value_id = next(
        e["object_id"]
        for e in audit(api_reviewer, "report", reviewed_report)
        if e["object"] == "metricvalue"
    )

    entries = audit(api_reviewer, "metricvalue", value_id)

    assert report["values"][0]["value"] == "300.00"
    assert [(o, n) for o, n, _, _ in history(entries, "metricvalue", "value")] == [
        (None, "90.00"),
        ("90.00", "300.00"),
    ]


def test_targets_are_audited(api_reviewer, reviewer, city_a, programme):
    for target in ("0.25", "0.30"):
        targets_import(
            name="targets.csv",
            data=csv_bytes("city_code,indicator,target", f"440300,transfer_licence_count,{target}"),
            programme=programme,
            by=reviewer,
        )
    target = Target.objects.get(participation=city_a)

    entries = audit(api_reviewer, "target", target.pk)

    reason = "import_targets targets.csv --programme 2020"
    assert [(e["type"], e["by"], e["reason"]) for e in entries] == [
        ("created", "reviewer", reason),
        ("changed", "reviewer", reason),
    ]
    assert change(entries[0], "value") == (None, "0.2500")
    assert change(entries[1], "value") == ("0.2500", "0.3000")


def test_a_decisions_audit_shows_its_sign_off(
    api_reviewer, second_reviewer, city_a, django_capture_on_commit_callbacks
):
    """The sign-off reads as a change from the recommendation the run made."""
    with django_capture_on_commit_callbacks(execute=True):
        queued = api_reviewer.post("/api/v1/runs/", {"programme": "2020"}, format="json")
    run = EvaluationRun.objects.get(pk=queued.json()["id"])
    decision = TrancheDecision.objects.get(city_result__run=run)
    signer = client_for(second_reviewer)
    assert signer.post(f"/api/v1/decisions/{decision.pk}/confirm/").status_code == 200

    entries = audit(api_reviewer, "decision", decision.pk)

    assert history(entries, "decision", "status")[-1] == (
        "recommended",
        "confirmed",
        "second_reviewer",
        "confirmed",
    )
    assert change(entries[-1], "decided_by_id")[1] == second_reviewer.pk


def test_an_override_is_audited_with_its_reason(
    api_reviewer, second_reviewer, city_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        queued = api_reviewer.post("/api/v1/runs/", {"programme": "2020"}, format="json")
    decision = TrancheDecision.objects.get(city_result__run_id=queued.json()["id"])
    signer = client_for(second_reviewer)
    overridden = signer.post(
        f"/api/v1/decisions/{decision.pk}/override/",
        {"amount": "1000.00", "reason": "appeal upheld"},
        format="json",
    )
    assert overridden.status_code == 200, overridden.json()

    entries = audit(api_reviewer, "decision", decision.pk)

    last = entries[-1]
    assert (last["by"], last["reason"]) == ("second_reviewer", "overridden: appeal upheld")
    assert change(last, "final_amount")[1] == "1000.00"
    assert change(last, "override_reason")[1] == "appeal upheld"


def test_only_reviewers_read_the_audit(api_a, api_b, api_anonymous, api_reviewer, reviewed_report):
    for client in (api_a, api_b):
        response = client.get(f"/api/v1/audit/report/{reviewed_report}/")
        assert response.status_code == 403
        assert "reviewers" in response.json()["errors"][0]["reason"]
    assert api_anonymous.get(f"/api/v1/audit/report/{reviewed_report}/").status_code in (401, 403)
    assert api_reviewer.get("/api/v1/audit/report/999999/").status_code == 404
    assert api_reviewer.get(f"/api/v1/audit/user/{reviewed_report}/").status_code == 404
