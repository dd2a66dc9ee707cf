"""One rule of who sees a city's result (``access.city_results_for``): for every kind of user and
every state of a run, the API's list and object, its run filter, the officials' portal and the
scorecard page agree, and they agree with the rule as the README states it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from evaluation.models import CityResult, EvaluationRun, OfficialAssignment
from evaluation.services.runs import evaluation_run_request
from tests.factories import ParticipationFactory, UserFactory, meet_every_target

# Each state a run's result can be seen in: (kind, status, finalised).
STATES = {
    "queued": ("official", "queued", False),
    "running": ("official", "running", False),
    "failed": ("official", "failed", False),
    "provisional": ("provisional", "succeeded", False),
    "official, awaiting sign-off": ("official", "succeeded", False),
    "official, finalised": ("official", "succeeded", True),
}
# Who sees Shenzhen's result, as the README says ("Who sees a scorecard").
EXPECTED = {
    "reviewer": {"provisional", "official, awaiting sign-off", "official, finalised"},
    "official of the city": {"provisional", "official, finalised"},
    "official of another city": set(),
    "signed out": set(),
}


@pytest.fixture
def scored(programme, django_capture_on_commit_callbacks):
    """Shenzhen and Chaoyang, each with an official, scored by one run of a reviewer's."""
    shenzhen = ParticipationFactory(programme=programme, city__code="440300")
    chaoyang = ParticipationFactory(programme=programme, city__code="110105")
    meet_every_target(shenzhen.city)
    reviewer = UserFactory(username="reviewer")
    reviewer.groups.add(Group.objects.get(name="reviewers"))
    people = {"reviewer": reviewer, "signed out": None}
    for name, participation in (
        ("official of the city", shenzhen),
        ("official of another city", chaoyang),
    ):
        people[name] = UserFactory(username=name.replace(" ", "_"))
        OfficialAssignment.objects.create(user=people[name], participation=participation)
    with django_capture_on_commit_callbacks(execute=True):
        run = evaluation_run_request(programme=programme, trigger="api", by=reviewer)
    assert EvaluationRun.objects.get(pk=run.pk).status == "succeeded"
    return run, shenzhen, people


def _put_in_state(run: EvaluationRun, state: str) -> None:
    kind, status, finalised = STATES[state]
    EvaluationRun.objects.filter(pk=run.pk).update(
        kind=kind,
        status=status,
        finalised_at=timezone.now() if finalised else None,
        error="a worker stopped" if status == "failed" else "",
    )


def _api_sees(user, result: CityResult) -> bool:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    listed = client.get("/api/v1/results/")
    one = client.get(f"/api/v1/results/{result.pk}/")
    by_run = client.get("/api/v1/results/", {"run": result.run_id})
    if user is None:
        assert {listed.status_code, one.status_code, by_run.status_code} == {401}
        return False
    in_list = result.pk in {r["id"] for r in listed.json()["results"]}
    assert in_list == (one.status_code == 200), "the list and the object disagree"
    assert one.status_code in (200, 404)
    # The run filter offers only runs the caller may see a result of (else 400, as for an id
    # that does not exist).
    if in_list:
        assert result.pk in {r["id"] for r in by_run.json()["results"]}
    else:
        assert by_run.status_code == 400 or result.pk not in {
            r["id"] for r in by_run.json()["results"]
        }
    return in_list


def _scorecard_sees(user, result: CityResult) -> bool:
    client = Client()
    if user is not None:
        client.force_login(user)
    page = client.get(f"/reports/runs/{result.run_id}/cities/440300/")
    if user is None:
        assert page.status_code == 302  # to sign in
        return False
    assert page.status_code in (200, 404)
    return page.status_code == 200


def _portal_sees(user, result: CityResult, shenzhen) -> bool | None:
    """Whether the official's landing page shows this run's result (None: not their page)."""
    if user is None or not shenzhen.officials.filter(user=user).exists():
        return None
    client = Client()
    client.force_login(user)
    page = client.get(f"/city/{shenzhen.pk}/").content.decode()
    return f"{result.score:.2f}" in page and "has been run yet" not in page


@pytest.mark.parametrize("state", list(STATES))
def test_the_api_the_portal_and_the_scorecard_agree_for_every_user_and_run_state(scored, state):
    run, shenzhen, people = scored
    result = CityResult.objects.get(run=run, participation=shenzhen)
    _put_in_state(run, state)
    for who, user in people.items():
        expected = state in EXPECTED[who]
        api = _api_sees(user, result)
        scorecard = _scorecard_sees(user, result)
        portal = _portal_sees(user, result, shenzhen)
        assert api == scorecard == expected, (who, state, api, scorecard)
        if portal is not None:
            assert portal == expected, (who, state, "portal", portal)
