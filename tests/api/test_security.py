"""How the API keeps callers honest: throttled token requests and writes, token and session
authentication (with CSRF), and production settings that pass Django's deploy checks and refuse
to start without their secret."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from evaluation import throttling
from evaluation.api.throttles import AuthThrottle, WriteThrottle
from evaluation.models import OfficialAssignment, Report
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def empty_throttle_cache():
    """Throttles count requests in the cache: start and leave it empty."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def official_with_password(city_a):
    user = UserFactory(username="official_pw")
    user.set_password(PASSWORD)
    user.save()
    OfficialAssignment.objects.create(user=user, participation=city_a)
    return user


def report_body(participation, period: str = "2021-03") -> dict:
    return {"participation": participation.pk, "period": period}


# Throttling ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("empty_throttle_cache")
def test_token_requests_beyond_the_rate_are_refused(monkeypatch, official_with_password):
    monkeypatch.setattr(AuthThrottle, "rate", "3/min", raising=False)
    # Counted at one moment: the window is a fixed minute, and a test running across its end
    # would start counting again.
    monkeypatch.setattr(throttling, "time", SimpleNamespace(time=lambda: 1_800_000_000.0))
    client = APIClient()
    wrong = {"username": "official_pw", "password": "guess"}

    statuses = [client.post("/api/v1/auth/token/", wrong).status_code for _ in range(3)]
    throttled = client.post(
        "/api/v1/auth/token/", {"username": "official_pw", "password": PASSWORD}
    )

    assert statuses == [400, 400, 400]
    assert throttled.status_code == 429
    assert "throttled" in throttled.json()["errors"][0]["reason"]
    assert int(throttled["Retry-After"]) > 0


@pytest.mark.usefixtures("empty_throttle_cache")
def test_writes_beyond_the_rate_are_refused_but_reads_are_not(
    monkeypatch, api_a, api_b, city_a, city_b
):
    monkeypatch.setattr(WriteThrottle, "rate", "3/min", raising=False)

    writes = [
        api_a.post("/api/v1/reports/", report_body(city_a), format="json").status_code
        for _ in range(3)
    ]
    throttled = api_a.post("/api/v1/reports/", report_body(city_a, "2021-04"), format="json")
    reads = [api_a.get("/api/v1/reports/").status_code for _ in range(5)]

    assert writes == [201, 201, 201]
    assert throttled.status_code == 429
    assert "throttled" in throttled.json()["errors"][0]["reason"]
    assert reads == [200] * 5
    assert not Report.objects.filter(year=2021, number=4).exists()
    # The limit is per user: another city's official still writes.
    assert api_b.post("/api/v1/reports/", report_body(city_b), format="json").status_code == 201


@pytest.mark.usefixtures("empty_throttle_cache")
def test_the_write_limit_counts_every_kind_of_write(monkeypatch, api_a, city_a):
    monkeypatch.setattr(WriteThrottle, "rate", "2/min", raising=False)
    report = api_a.post("/api/v1/reports/", report_body(city_a), format="json").json()
    url = f"/api/v1/reports/{report['id']}/"
    body = {"version": report["version"], "values": {"pledge_projects": "4"}}

    assert api_a.put(url + "values/", body, format="json").status_code == 200
    assert api_a.post(url + "submit/", {}, format="json").status_code == 429
    assert api_a.get(url).json()["status"] == "draft"


# Authentication -----------------------------------------------------------------------------


@pytest.mark.usefixtures("empty_throttle_cache")
def test_a_token_obtained_with_a_password_reaches_the_api(official_with_password, city_a):
    obtained = APIClient().post(
        "/api/v1/auth/token/", {"username": "official_pw", "password": PASSWORD}, format="json"
    )
    assert obtained.status_code == 200, obtained.json()
    token = obtained.json()["token"]

    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listed = client.get("/api/v1/reports/")
    created = client.post("/api/v1/reports/", report_body(city_a), format="json")

    assert listed.status_code == 200
    assert listed.json()["results"] == []
    # A token needs no CSRF token: it is not sent by a browser on its own.
    assert created.status_code == 201, created.json()
    assert Report.objects.get().created_by == official_with_password


@pytest.mark.usefixtures("empty_throttle_cache")
def test_a_wrong_password_or_token_is_refused(official_with_password):
    refused = APIClient().post(
        "/api/v1/auth/token/", {"username": "official_pw", "password": "guess"}, format="json"
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)

    assert refused.status_code == 400
    assert "token" not in refused.json()
    bad_token = client.get("/api/v1/reports/")
    assert bad_token.status_code in (401, 403)
    assert bad_token.json()["errors"][0]["reason"] == "Invalid token."
    assert APIClient().get("/api/v1/reports/").status_code in (401, 403)


def test_a_session_write_without_a_csrf_token_is_refused(official_with_password, city_a):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(official_with_password)
    assert client.get("/api/v1/reports/").status_code == 200

    refused = client.post("/api/v1/reports/", report_body(city_a), format="json")
    forged = client.post(
        "/api/v1/reports/", report_body(city_a), format="json", HTTP_X_CSRFTOKEN="x" * 32
    )

    for response in (refused, forged):
        assert response.status_code == 403
        assert "CSRF" in response.json()["errors"][0]["reason"]
    assert not Report.objects.exists()


def test_a_session_write_with_the_csrf_token_works(official_with_password, city_a):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(official_with_password)
    assert client.get("/api-auth/login/").status_code == 200
    token = client.cookies["csrftoken"].value

    created = client.post(
        "/api/v1/reports/", report_body(city_a), format="json", HTTP_X_CSRFTOKEN=token
    )

    assert created.status_code == 201, created.json()
    assert Report.objects.get().created_by == official_with_password


# Production settings ------------------------------------------------------------------------


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``manage.py`` under the production settings with only the variables given."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "DATABASE_", "CELERY_", "THROTTLE_"))
    }
    environment |= {"DJANGO_SETTINGS_MODULE": "config.settings.production", **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
    "DJANGO_ALLOWED_HOSTS": "evaluation.example.org",
    "DATABASE_URL": "sqlite:////tmp/x.sqlite3",
    "CELERY_BROKER_URL": "redis://localhost:6379/0",
}


def test_production_settings_pass_the_deploy_checks():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    without_key = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}

    result = manage("check", **without_key)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
