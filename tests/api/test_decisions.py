"""Signing off the recommended tranche decisions of an official run: by a second reviewer,
final once signed, and the run final once every decision is."""

from __future__ import annotations

import datetime as dt

import pytest

from evaluation.models import EvaluationRun, TrancheDecision
from tests.api.conftest import client_for
from tests.factories import meet_every_target

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(api_reviewer, city_a, city_b, django_capture_on_commit_callbacks) -> EvaluationRun:
    """An official run triggered by ``reviewer``: Shenzhen (city_a) is recommended the whole
    remaining 50 million, Chaoyang (city_b), with no figures, nothing."""
    meet_every_target(city_a.city)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_reviewer.post("/api/v1/runs/", {"programme": "2020"}, format="json")
    assert response.status_code == 202, response.json()
    run = EvaluationRun.objects.get(pk=response.json()["id"])
    assert run.status == "succeeded"
    return run


@pytest.fixture
def release(run) -> TrancheDecision:
    return TrancheDecision.objects.get(
        city_result__run=run, city_result__participation__city__code="440300"
    )


@pytest.fixture
def withhold(run) -> TrancheDecision:
    return TrancheDecision.objects.get(
        city_result__run=run, city_result__participation__city__code="110105"
    )


@pytest.fixture
def signer(second_reviewer):
    return client_for(second_reviewer)


def url(decision: TrancheDecision, action: str = "") -> str:
    return f"/api/v1/decisions/{decision.pk}/" + (f"{action}/" if action else "")


def test_the_run_recommends_a_decision_for_each_city(api_reviewer, run, release, withhold):
    listed = api_reviewer.get("/api/v1/decisions/?status=recommended").json()["results"]

    assert sorted(
        (d["city"], d["recommended_decision"], d["recommended_amount"]) for d in listed
    ) == [
        ("110105", "withhold", "0.00"),
        ("440300", "release", "50000000.00"),
    ]
    assert all(d["run"] == run.pk and d["final_amount"] is None for d in listed)


def test_a_second_reviewer_confirms_the_recommendation(signer, release):
    response = signer.post(url(release, "confirm"))

    assert response.status_code == 200, response.json()
    decision = response.json()
    assert decision["status"] == "confirmed"
    assert (decision["final_decision"], decision["final_amount"]) == ("release", "50000000.00")
    assert decision["decided_by"] == "second_reviewer"
    assert decision["decided_at"] is not None


def test_the_reviewer_who_triggered_the_run_may_not_sign_it_off(api_reviewer, release):
    confirmed = api_reviewer.post(url(release, "confirm"))
    overridden = api_reviewer.post(
        url(release, "override"), {"amount": "100.00", "reason": "my own run"}, format="json"
    )

    for refused in (confirmed, overridden):
        assert refused.status_code == 409
        assert "triggered the run" in refused.json()["errors"][0]["reason"]
    release.refresh_from_db()
    assert (release.status, release.final_amount, release.decided_by) == ("recommended", None, None)


def test_an_override_needs_a_written_reason(signer, release):
    response = signer.post(
        url(release, "override"), {"amount": "1000000.00", "reason": " "}, format="json"
    )

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["reason"]
    release.refresh_from_db()
    assert release.status == "recommended"


@pytest.mark.parametrize("amount", ["50000000.01", "-1.00", "10.005"])
def test_an_override_amount_must_lie_between_0_and_the_remaining_amount(signer, release, amount):
    response = signer.post(
        url(release, "override"), {"amount": amount, "reason": "audit findings"}, format="json"
    )

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["amount"]
    release.refresh_from_db()
    assert release.status == "recommended"


@pytest.mark.parametrize(
    ("decision", "amount", "final"),
    [
        ("release", "0.00", "withhold"),
        ("release", "20000000.00", "release"),
        ("release", "50000000.00", "release"),
        ("withhold", "12345.67", "release"),
    ],
)
def test_an_override_sets_the_final_decision_by_its_amount(
    signer, request, decision, amount, final
):
    target = request.getfixturevalue(decision)

    response = signer.post(
        url(target, "override"), {"amount": amount, "reason": "audit findings"}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["final_decision"], body["final_amount"]) == (
        "overridden",
        final,
        amount,
    )
    assert (body["override_reason"], body["decided_by"]) == ("audit findings", "second_reviewer")
    assert body["recommended_amount"] == str(target.recommended_amount)


def test_a_signed_off_decision_is_final(signer, release):
    assert signer.post(url(release, "confirm")).status_code == 200

    again = signer.post(url(release, "confirm"))
    overridden = signer.post(
        url(release, "override"), {"amount": "0.00", "reason": "second thoughts"}, format="json"
    )

    for refused in (again, overridden):
        assert refused.status_code == 409
        assert "already confirmed" in refused.json()["errors"][0]["reason"]
    release.refresh_from_db()
    assert (release.status, release.final_decision) == ("confirmed", "release")


def test_the_run_is_finalised_when_every_decision_is_signed_off(
    signer, api_reviewer, run, release, withhold
):
    assert signer.post(url(release, "confirm")).status_code == 200
    assert api_reviewer.get(f"/api/v1/runs/{run.pk}/").json()["finalised_at"] is None

    overridden = signer.post(
        url(withhold, "override"), {"amount": "1000.00", "reason": "appeal upheld"}, format="json"
    )

    assert overridden.status_code == 200, overridden.json()
    run.refresh_from_db()
    assert run.finalised_at is not None
    shown = api_reviewer.get(f"/api/v1/runs/{run.pk}/").json()
    assert shown["finalised_at"] is not None
    assert dt.datetime.fromisoformat(shown["finalised_at"]) == run.finalised_at


def test_decisions_of_a_provisional_run_cannot_be_signed_off(
    api_reviewer, signer, city_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_reviewer.post(
            "/api/v1/runs/", {"programme": "2020", "kind": "provisional"}, format="json"
        )
    decision = TrancheDecision.objects.get(city_result__run_id=response.json()["id"])

    refused = signer.post(url(decision, "confirm"))

    assert refused.status_code == 409
    assert "official run" in refused.json()["errors"][0]["reason"]


def test_officials_cannot_see_or_sign_off_decisions(api_a, api_anonymous, release):
    assert api_a.get("/api/v1/decisions/").status_code == 403
    assert api_a.get(url(release)).status_code == 403
    assert api_a.post(url(release, "confirm")).status_code in (403, 404)
    assert api_a.post(
        url(release, "override"), {"amount": "0.00", "reason": "mine"}, format="json"
    ).status_code in (403, 404)
    assert api_anonymous.get("/api/v1/decisions/").status_code in (401, 403)
    assert api_anonymous.post(url(release, "confirm")).status_code in (401, 403)
    release.refresh_from_db()
    assert release.status == "recommended"
