"""The people and runs of the reports app's tests: a reviewer who triggers runs, an
administrator, a city official, and two cities of the 2020 programme."""

from __future__ import annotations

import pytest
from django.test import Client

from evaluation.models import EvaluationRun, OfficialAssignment
from evaluation.services.people import role_grant
from evaluation.services.runs import evaluation_run_request
from tests.factories import ParticipationFactory, UserFactory, add_value, meet_every_target


def _staff(username: str, role: str):
    user = UserFactory(username=username)
    role_grant(user=user, role=role, by=None)
    return user


@pytest.fixture
def reviewer(db):
    return _staff("reviewer", "reviewer")


@pytest.fixture
def administrator(db):
    return _staff("administrator", "administrator")


@pytest.fixture
def cities(programme):
    """Shenzhen meets every target; Chaoyang reported one cumulative figure."""
    shenzhen = ParticipationFactory(
        programme=programme, city__code="440300", city__name_en="Shenzhen"
    )
    chaoyang = ParticipationFactory(
        programme=programme, city__code="110105", city__name_en="Chaoyang"
    )
    meet_every_target(shenzhen.city)
    add_value(chaoyang.city, "sme_transformations", "2020", "10")
    return shenzhen, chaoyang


@pytest.fixture
def official(cities):
    user = UserFactory(username="li.wei")
    OfficialAssignment.objects.create(user=user, participation=cities[0])
    return user


@pytest.fixture
def evaluate(programme, reviewer, django_capture_on_commit_callbacks):
    def run() -> EvaluationRun:
        with django_capture_on_commit_callbacks(execute=True):
            queued = evaluation_run_request(programme=programme, trigger="admin", by=reviewer)
        finished = EvaluationRun.objects.get(pk=queued.pk)
        assert finished.status == EvaluationRun.Status.SUCCEEDED, finished.error
        return finished

    return run


def logged_in(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client
