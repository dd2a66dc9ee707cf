"""The people of the story: two cities of the 2020 programme, an official for each, and two
ministry reviewers (one triggers runs, the other signs decisions off)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from evaluation.models import EvaluationRun, OfficialAssignment, Report, TrancheDecision
from tests.factories import ParticipationFactory, UserFactory, complete, meet_every_target


@pytest.fixture
def city_a(programme):
    return ParticipationFactory(programme=programme, city__code="440300", city__name_en="Shenzhen")


@pytest.fixture
def city_b(programme):
    return ParticipationFactory(programme=programme, city__code="110105", city__name_en="Chaoyang")


@pytest.fixture
def official_a(city_a):
    user = UserFactory(username="official_a")
    OfficialAssignment.objects.create(user=user, participation=city_a)
    return user


@pytest.fixture
def official_b(city_b):
    user = UserFactory(username="official_b")
    OfficialAssignment.objects.create(user=user, participation=city_b)
    return user


def _reviewer(username: str):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name="reviewers"))
    return user


@pytest.fixture
def reviewer(db):
    return _reviewer("reviewer")


@pytest.fixture
def second_reviewer(db):
    return _reviewer("second_reviewer")


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def api_a(official_a):
    return client_for(official_a)


@pytest.fixture
def api_b(official_b):
    return client_for(official_b)


@pytest.fixture
def api_reviewer(reviewer):
    return client_for(reviewer)


@pytest.fixture
def api_anonymous():
    return APIClient()


@dataclass(frozen=True)
class World:
    """Two cities with data in every state the API shows: Chaoyang (city_b) was scored alone by
    a provisional run before Shenzhen (city_a) joined; an official run then scored both, and
    Chaoyang's decision is signed off while Shenzhen's is not (so neither city's officials see
    its results yet); a nightly provisional run scored both (its results each city's officials
    see at once); a run from the command line has no one who triggered it; each city has
    reports. Use its clients (``api_a``…): a test that
    asks for city_a before ``world`` would have it scored by the first run too."""

    city_a: Any
    city_b: Any
    run_b_only: EvaluationRun
    run: EvaluationRun
    nightly: EvaluationRun
    command_run: EvaluationRun
    reports_a: dict[str, Report]
    reports_b: dict[str, Report]
    api_a: APIClient
    api_b: APIClient
    api_reviewer: APIClient


@pytest.fixture
def world(
    request, programme, reviewer, second_reviewer, django_capture_on_commit_callbacks
) -> World:
    from evaluation.scoring import Period
    from evaluation.services import decisions, reporting
    from evaluation.services.runs import evaluation_run_request

    city_b = request.getfixturevalue("city_b")
    official_b = request.getfixturevalue("official_b")
    with django_capture_on_commit_callbacks(execute=True):
        run_b_only = evaluation_run_request(
            programme=programme, kind="provisional", trigger="api", by=reviewer
        )
    assert run_b_only.city_results.count() == 1, "world must be set up before city_a"
    city_a = request.getfixturevalue("city_a")
    official_a = request.getfixturevalue("official_a")
    meet_every_target(city_a.city)
    with django_capture_on_commit_callbacks(execute=True):
        run = evaluation_run_request(programme=programme, trigger="api", by=reviewer)
        command_run = evaluation_run_request(
            programme=programme, as_of=dt.date(2022, 12, 31), trigger="command", by=None
        )
    decisions.decision_confirm(
        decision=TrancheDecision.objects.get(
            city_result__run=run, city_result__participation=city_b
        ),
        by=second_reviewer,
    )
    with django_capture_on_commit_callbacks(execute=True):
        nightly = evaluation_run_request(
            programme=programme, kind="provisional", trigger="schedule", by=None
        )

    def reports(participation, official, states: dict[str, str]) -> dict[str, Report]:
        made = {}
        for period, state in states.items():
            report = reporting.report_create(
                participation=participation, period=Period.parse(period), by=official
            )
            report = reporting.report_values_set(
                report=report,
                values=complete({"pledge_projects": "7"}),
                version=report.version,
                by=official,
            )
            if state != "draft":
                report = reporting.report_submit(report=report, version=None, by=official)
            if state == "approved":
                report = reporting.report_approve(report=report, by=reviewer)
            made[period] = report
        return made

    with django_capture_on_commit_callbacks(execute=True):
        reports_a = reports(city_a, official_a, {"2022-03": "draft", "2022-04": "submitted"})
        reports_b = reports(city_b, official_b, {"2022-01": "approved", "2022-02": "submitted"})
    return World(
        city_a=city_a,
        city_b=city_b,
        run_b_only=EvaluationRun.objects.get(pk=run_b_only.pk),
        run=EvaluationRun.objects.get(pk=run.pk),
        nightly=EvaluationRun.objects.get(pk=nightly.pk),
        command_run=EvaluationRun.objects.get(pk=command_run.pk),
        reports_a=reports_a,
        reports_b=reports_b,
        api_a=client_for(official_a),
        api_b=client_for(official_b),
        api_reviewer=client_for(reviewer),
    )
