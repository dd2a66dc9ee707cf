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


def test_grant_role_records_who_granted_it_and_granting_again_changes_nothing():
    from evaluation.models import RoleChange
    from evaluation.services.people import role_grant

    admin = UserFactory(username="admin.zhao")
    role_grant(user=admin, role="administrator", by=None)
    UserFactory(username="wang.fang")
    out = io.StringIO()

    call_command("grant_role", "wang.fang", "reviewer", "--by", "admin.zhao", stdout=out)
    call_command("grant_role", "wang.fang", "reviewer", "--by", "admin.zhao", stdout=out)

    assert out.getvalue().splitlines() == [
        "wang.fang is now a ministry reviewer.",
        "wang.fang is already a ministry reviewer.",
    ]
    change = RoleChange.objects.get(user__username="wang.fang")
    assert (change.role, change.change, change.by.username) == ("reviewer", "granted", "admin.zhao")


def test_only_an_administrator_grants_roles():
    from evaluation.models import RoleChange

    UserFactory(username="wang.fang")
    reviewer = UserFactory(username="li.na")
    call_command("grant_role", "li.na", "reviewer", stdout=io.StringIO())

    with pytest.raises(CommandError, match="only administrators"):
        call_command("grant_role", "wang.fang", "administrator", "--by", "li.na")
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        call_command("grant_role", "wang.fang", "reviewer", "--by", "nobody")
    assert not is_reviewer(User.objects.get(username="wang.fang"))
    assert list(RoleChange.objects.values_list("user__username", "by")) == [("li.na", None)]
    assert reviewer.pk


def test_grant_role_revoke_takes_the_role_away_and_records_it():
    from evaluation.models import RoleChange

    UserFactory(username="wang.fang")
    call_command("grant_role", "wang.fang", "reviewer", stdout=io.StringIO())
    out = io.StringIO()

    call_command("grant_role", "wang.fang", "reviewer", "--revoke", stdout=out)

    assert out.getvalue().strip() == "wang.fang is no longer a ministry reviewer."
    assert not is_reviewer(User.objects.get(username="wang.fang"))
    assert [c.change for c in RoleChange.objects.all()] == ["granted", "revoked"]


def test_grant_role_to_a_missing_user_says_how_to_create_it():
    with pytest.raises(CommandError, match=r"create_user wang\.fang"):
        call_command("grant_role", "wang.fang", "reviewer")


@pytest.mark.parametrize("source", ["option", "stdin", "environment"])
def test_create_user_takes_the_password_without_a_prompt(source, monkeypatch):
    password = "Hefei-Report-2021"
    args = ["create_user", "li.wei", "--email", "li.wei@example.org"]
    if source == "option":
        args += ["--password", password]
    elif source == "stdin":
        args += ["--password-stdin"]
    else:
        monkeypatch.setenv("DJANGO_USER_PASSWORD", password)
    out = io.StringIO()

    for _time in range(2):
        call_command(*args, stdout=out, stdin=io.StringIO(password + "\n"))

    user = User.objects.get(username="li.wei")
    assert user.check_password(password) and user.email == "li.wei@example.org"
    assert out.getvalue().splitlines() == [
        "li.wei is created, with its password.",
        "li.wei already existed: its password is set.",
    ]


def test_create_user_refuses_a_weak_or_missing_password(monkeypatch):
    monkeypatch.delenv("DJANGO_USER_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="give a password"):
        call_command("create_user", "li.wei")
    with pytest.raises(CommandError, match=r"too common|too short"):
        call_command("create_user", "li.wei", "--password", "password")
    assert not User.objects.filter(username="li.wei").exists()
