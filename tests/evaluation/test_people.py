from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from evaluation.access import is_reviewer, participations_for
from tests.factories import ParticipationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_assign_official_binds_a_user_to_a_city_once(programme):
    participation = ParticipationFactory(programme=programme, city__code="440300")
    out = io.StringIO()
    call_command("assign_official", "li.wei", "--city", "440300", "--programme", "2020", stdout=out)
    call_command("assign_official", "li.wei", "--city", "440300", "--programme", "2020", stdout=out)

    user = User.objects.get(username="li.wei")
    assert list(participations_for(user)) == [participation]
    assert "changepassword" in out.getvalue()
    assert user.assignments.get().history.count() == 1


def test_assign_official_refuses_a_city_outside_the_programme(programme):
    with pytest.raises(CommandError, match="is not in programme 2020"):
        call_command("assign_official", "x", "--city", "999999", "--programme", "2020")


def test_grant_role_makes_a_reviewer():
    user = UserFactory(username="wang.fang")
    assert not is_reviewer(user)
    call_command("grant_role", "wang.fang", "reviewer", stdout=io.StringIO())
    assert is_reviewer(User.objects.get(pk=user.pk))
