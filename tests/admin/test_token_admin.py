"""API tokens in the admin (django-rest-knox registers its own admin page for them): an
administrator sees and revokes tokens there, but cannot issue one that never expires, nor
change a token's expiry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from knox.models import AuthToken

from evaluation.services.tokens import token_issue
from tests.admin.conftest import logged_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = "/admin/knox/authtoken/"


@pytest.fixture
def superuser():
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def issued(official):
    row, _ = token_issue(user=official)
    return row


def test_no_token_without_expiry_is_issued_from_the_admin(superuser, official):
    client = logged_in(superuser)

    page = client.get(f"{LIST}add/")
    posted = client.post(f"{LIST}add/", {"user": official.pk, "expiry": ""})

    assert page.status_code == 403
    assert posted.status_code == 403
    assert not AuthToken.objects.exists()


def test_a_tokens_expiry_cannot_be_changed_in_the_admin(superuser, issued):
    client = logged_in(superuser)
    expiry = issued.expiry

    page = client.get(f"{LIST}{issued.pk}/change/")
    client.post(
        f"{LIST}{issued.pk}/change/",
        {
            "digest": issued.digest,
            "token_key": issued.token_key,
            "user": issued.user_id,
            "expiry_0": "",
            "expiry_1": "",
        },
    )

    issued.refresh_from_db()
    assert issued.expiry == expiry
    assert 'name="expiry' not in page.content.decode()


def test_the_admin_lists_tokens_by_their_first_characters_and_owner(superuser, issued):
    page = logged_in(superuser).get(LIST).content.decode()

    assert f">{issued.token_key}<" in page
    assert ">official<" in page


def test_an_administrator_revokes_a_token_in_the_admin_and_its_history_says_who(superuser, issued):
    client = logged_in(superuser)
    response = client.post(f"{LIST}{issued.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not AuthToken.objects.exists()
    last = AuthToken.history.order_by("-history_id").first()
    assert (last.history_type, last.history_user) == ("-", superuser)


def test_officials_reviewers_and_visitors_see_no_token_in_the_admin(official, reviewer, issued):
    for client in (logged_in(official), logged_in(reviewer), logged_in(None)):
        response = client.get(LIST)
        assert response.status_code in (302, 403)
        assert issued.token_key not in response.content.decode()


def test_an_expired_token_is_listed_as_expired_not_hidden(superuser, official):
    row, _ = token_issue(user=official)
    AuthToken.objects.filter(pk=row.pk).update(expiry=timezone.now() - dt.timedelta(days=1))

    assert row.token_key in logged_in(superuser).get(LIST).content.decode()
