"""The portal's people: two cities of the 2020 programme, an official of each (and one of both),
a ministry reviewer, and browsers that ask for Chinese (the default) or English."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from evaluation.models import OfficialAssignment
from tests.factories import ParticipationFactory, UserFactory

PASSWORD = "a-long-portal-password-1"


@pytest.fixture
def city_a(programme):
    return ParticipationFactory(
        programme=programme, city__code="210100", city__name_en="Shenyang", city__name_zh="沈阳市"
    )


@pytest.fixture
def city_b(programme):
    return ParticipationFactory(
        programme=programme, city__code="650100", city__name_en="Urumqi", city__name_zh="乌鲁木齐市"
    )


def _official(username: str, *participations):
    user = UserFactory(username=username)
    user.set_password(PASSWORD)
    user.save()
    for participation in participations:
        OfficialAssignment.objects.create(user=user, participation=participation)
    return user


@pytest.fixture
def official_a(city_a):
    return _official("li.wei", city_a)


@pytest.fixture
def official_b(city_b):
    return _official("zhang.min", city_b)


@pytest.fixture
def reviewer(db):
    user = UserFactory(username="wang.fang")
    user.groups.add(Group.objects.get(name="reviewers"))
    return user


def browser(user=None, language: str = "zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def portal_a(official_a) -> Client:
    return browser(official_a)


@pytest.fixture
def portal_b(official_b) -> Client:
    return browser(official_b)


@pytest.fixture
def anonymous() -> Client:
    return browser()
