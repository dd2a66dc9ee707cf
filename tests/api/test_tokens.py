"""API tokens expire, are stored hashed, and their owner lists and revokes them; signing out
revokes the token in use."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from evaluation.models import OfficialAssignment
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def empty_throttle_cache():
    cache.clear()
    yield
    cache.clear()


def person(username: str, *, participation=None, group: str | None = None):
    user = UserFactory(username=username)
    user.set_password(PASSWORD)
    user.save()
    if participation is not None:
        OfficialAssignment.objects.create(user=user, participation=participation)
    if group is not None:
        from django.contrib.auth.models import Group

        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def li_wei(city_a):
    return person("li.wei", participation=city_a)


@pytest.fixture
def wang_fang(db):
    return person("wang.fang", group="reviewers")


def obtain(username: str) -> dict:
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.json()
    return response.json()


def using(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_a_token_expires_after_the_configured_days_and_is_stored_hashed(li_wei):
    before = timezone.now()
    issued = obtain("li.wei")

    expiry = dt.datetime.fromisoformat(issued["expiry"])
    assert before + dt.timedelta(days=30) <= expiry <= timezone.now() + dt.timedelta(days=30)
    row = AuthToken.objects.get(user=li_wei)
    assert issued["token"].startswith(issued["token_key"]) and row.token_key == issued["token_key"]
    stored = [str(value) for value in AuthToken.objects.values_list().get()]
    assert not any(issued["token"] in value for value in stored)
    assert using(issued["token"]).get("/api/v1/participations/").status_code == 200


def test_the_token_lifetime_follows_the_setting(li_wei):
    with override_settings(REST_KNOX={"TOKEN_TTL": dt.timedelta(days=2)}):
        issued = obtain("li.wei")

    expiry = dt.datetime.fromisoformat(issued["expiry"])
    assert expiry <= timezone.now() + dt.timedelta(days=2)
    assert expiry > timezone.now() + dt.timedelta(days=1, hours=23)


def test_an_expired_token_is_refused_and_forgotten(li_wei):
    issued = obtain("li.wei")
    AuthToken.objects.filter(user=li_wei).update(expiry=timezone.now() - dt.timedelta(seconds=1))

    response = using(issued["token"]).get("/api/v1/participations/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {
        "errors": [{"field": None, "code": "authentication_failed", "reason": "Invalid token."}]
    }
    assert not AuthToken.objects.filter(user=li_wei).exists()


def test_an_official_and_a_reviewer_each_list_only_their_own_tokens(li_wei, wang_fang):
    laptop = obtain("li.wei")
    server = obtain("li.wei")
    reviewers = obtain("wang.fang")

    listed = using(server["token"]).get("/api/v1/auth/tokens/").json()["results"]
    reviewer_listed = using(reviewers["token"]).get("/api/v1/auth/tokens/").json()["results"]

    assert sorted((t["token_key"], t["current"]) for t in listed) == sorted(
        [(laptop["token_key"], False), (server["token_key"], True)]
    )
    assert [(t["token_key"], t["current"]) for t in reviewer_listed] == [
        (reviewers["token_key"], True)
    ]
    assert all(set(t) == {"token_key", "created", "expiry", "current"} for t in listed)


def test_revoking_a_token_stops_it_at_once_and_leaves_the_others(li_wei):
    laptop = obtain("li.wei")
    server = obtain("li.wei")

    revoked = using(server["token"]).delete(f"/api/v1/auth/tokens/{laptop['token_key']}/")

    assert revoked.status_code == 204
    assert using(laptop["token"]).get("/api/v1/participations/").status_code == 401
    assert using(server["token"]).get("/api/v1/participations/").status_code == 200


def test_nobody_revokes_another_users_token(li_wei, wang_fang):
    officials = obtain("li.wei")
    reviewers = obtain("wang.fang")

    refused = using(reviewers["token"]).delete(f"/api/v1/auth/tokens/{officials['token_key']}/")

    assert refused.status_code == 404
    assert set(refused.json()) == {"errors"}
    assert using(officials["token"]).get("/api/v1/participations/").status_code == 200


def test_signing_out_revokes_the_token_in_use_only(li_wei):
    laptop = obtain("li.wei")
    server = obtain("li.wei")

    signed_out = using(laptop["token"]).post("/api/v1/auth/sign-out/")

    assert signed_out.status_code == 204
    assert using(laptop["token"]).get("/api/v1/participations/").status_code == 401
    assert using(server["token"]).get("/api/v1/participations/").status_code == 200
    assert list(AuthToken.objects.values_list("token_key", flat=True)) == [server["token_key"]]


def test_who_was_issued_and_who_revoked_a_token_is_in_its_history(li_wei):
    laptop = obtain("li.wei")
    server = obtain("li.wei")
    using(server["token"]).delete(f"/api/v1/auth/tokens/{laptop['token_key']}/")
    using(server["token"]).post("/api/v1/auth/sign-out/")

    history = [
        (h.token_key, h.history_type, h.history_user.username, h.history_change_reason)
        for h in AuthToken.history.order_by("history_id")
    ]

    assert history == [
        (laptop["token_key"], "+", "li.wei", "issued"),
        (server["token_key"], "+", "li.wei", "issued"),
        (laptop["token_key"], "-", "li.wei", "revoked"),
        (server["token_key"], "-", "li.wei", "signed out"),
    ]
    stored = [str(v) for row in AuthToken.history.values_list() for v in row]
    assert not any(laptop["token"] in v or server["token"] in v for v in stored)


def test_signing_out_of_a_browser_session_ends_it(li_wei):
    client = APIClient()
    client.force_login(li_wei)
    assert client.get("/api/v1/auth/tokens/").status_code == 200

    assert client.post("/api/v1/auth/sign-out/").status_code == 204
    assert client.get("/api/v1/auth/tokens/").status_code == 401


def test_a_signed_out_visitor_lists_and_revokes_nothing(li_wei):
    issued = obtain("li.wei")
    anonymous = APIClient()

    assert anonymous.get("/api/v1/auth/tokens/").status_code == 401
    assert anonymous.delete(f"/api/v1/auth/tokens/{issued['token_key']}/").status_code == 401
    assert anonymous.post("/api/v1/auth/sign-out/").status_code == 401
    assert AuthToken.objects.count() == 1


def test_a_wrong_password_gets_no_token(li_wei):
    refused = APIClient().post(
        "/api/v1/auth/token/", {"username": "li.wei", "password": "guess"}, format="json"
    )

    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] is None
    assert not AuthToken.objects.exists()


def test_the_lifetime_is_read_from_api_token_ttl_days():
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment |= {"DJANGO_SETTINGS_MODULE": "config.settings.test", "API_TOKEN_TTL_DAYS": "7"}
    environment.pop("DATABASE_URL", None)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from knox.settings import knox_settings; "
            "print(knox_settings.TOKEN_TTL.days)",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.stdout.strip() == "7", result.stderr


def test_listing_tokens_takes_the_same_queries_however_many_there_are(li_wei):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = using(obtain("li.wei")["token"])

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/auth/tokens/")
        return len(captured), len(response.json()["results"])

    few = count()
    for _ in range(5):
        obtain("li.wei")
    many = count()

    assert (few[1], many[1]) == (1, 6)
    assert many[0] == few[0]
