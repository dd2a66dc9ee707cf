"""Ministry roles given or taken in the admin go through the same service as ``grant_role``
and are recorded with the administrator who changed them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from evaluation.access import is_reviewer
from evaluation.models import RoleChange
from tests.admin.conftest import form_data, page
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_administrator_grants_and_revokes_a_role_and_both_are_recorded(
    admin_client, administrator
):
    person = UserFactory(username="wang.fang")
    url = f"/admin/auth/user/{person.pk}/change/"
    data = form_data(admin_client.get(url))

    granted = admin_client.post(url, data | {"roles": ["reviewer"]})

    assert granted.status_code == 302
    person = User.objects.get(pk=person.pk)
    assert is_reviewer(person) and person.is_staff
    revoked = admin_client.post(url, form_data(admin_client.get(url)) | {"roles": []})
    assert revoked.status_code == 302
    person = User.objects.get(pk=person.pk)
    assert not is_reviewer(person) and not person.is_staff
    assert [(c.role, c.change, c.by) for c in RoleChange.objects.filter(user=person)] == [
        ("reviewer", "granted", administrator),
        ("reviewer", "revoked", administrator),
    ]
    shown = page(admin_client.get(url))
    assert "granted" in shown and "revoked" in shown


def test_saving_a_user_unchanged_records_nothing(admin_client):
    person = UserFactory(username="wang.fang")
    url = f"/admin/auth/user/{person.pk}/change/"
    admin_client.post(url, form_data(admin_client.get(url)) | {"roles": ["reviewer"]})

    admin_client.post(url, form_data(admin_client.get(url)))

    assert RoleChange.objects.filter(user=person).count() == 1


def test_the_role_changes_are_for_administrators_only(
    admin_client, reviewer_client, official_client, anonymous_client
):
    assert admin_client.get("/admin/evaluation/rolechange/").status_code == 200
    assert reviewer_client.get("/admin/evaluation/rolechange/").status_code == 403
    for client in (official_client, anonymous_client):
        response = client.get("/admin/evaluation/rolechange/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
