"""The people of the story: two cities of the 2020 programme, an official for each, and two
ministry reviewers (one triggers runs, the other signs decisions off)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from evaluation.models import OfficialAssignment
from tests.factories import ParticipationFactory, UserFactory


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
