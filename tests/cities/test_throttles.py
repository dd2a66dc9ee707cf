"""Throttles where people share an address: signing in (portal, admin, API token) and asking
for a password reset are counted per account and per address together, so a dozen officials
behind one government gateway do not block each other, one account cannot be tried over and
over, and one mailbox cannot be flooded with reset emails."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core import mail
from django.test import Client

from evaluation import throttling
from evaluation.api.throttles import AuthThrottle
from tests.cities.conftest import PASSWORD, _official
from tests.factories import ParticipationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings, monkeypatch):
    """The rates under test, counted at one moment: the windows are fixed (a minute, an hour)
    and a test that ran across the end of one would start counting again."""
    monkeypatch.setattr(throttling, "time", SimpleNamespace(time=lambda: 1_800_000_000.0))
    settings.THROTTLE_SIGN_IN_ACCOUNT = "10/min"
    settings.THROTTLE_SIGN_IN_ADDRESS = "100/min"
    settings.THROTTLE_PASSWORD_RESET_ACCOUNT = "3/hour"
    settings.THROTTLE_PASSWORD_RESET_ADDRESS = "20/hour"
    return settings


@pytest.fixture
def twelve_officials(programme):
    """Twelve officials of one province, who reach the site through one gateway."""
    officials = []
    for n in range(12):
        participation = ParticipationFactory(programme=programme)
        officials.append(_official(f"official{n}", participation))
    return officials


def gateway() -> Client:
    return Client(REMOTE_ADDR="10.1.1.1")


@pytest.mark.usefixtures("rates")
def test_twelve_officials_behind_one_gateway_sign_in_without_blocking_each_other(
    twelve_officials, monkeypatch
):
    # Ten token requests a minute, as in production (counted per address alone, the eleventh
    # official was refused).
    monkeypatch.setattr(AuthThrottle, "rate", "10/min", raising=False)
    for official in twelve_officials:
        for _attempt in range(2):  # a mistyped password, then the right one
            portal = gateway()
            portal.post("/", {"username": official.username, "password": "typo"})
            signed_in = portal.post("/", {"username": official.username, "password": PASSWORD})
            assert signed_in.status_code == 302, official.username
        token = gateway().post(
            "/api/v1/auth/token/", {"username": official.username, "password": PASSWORD}
        )
        assert token.status_code == 200, official.username


@pytest.mark.usefixtures("rates")
def test_one_account_tried_over_and_over_is_throttled_from_any_address(twelve_officials):
    target = twelve_officials[0].username
    statuses = [
        Client(REMOTE_ADDR=f"10.2.0.{n}")
        .post("/", {"username": target, "password": "x"})
        .status_code
        for n in range(12)
    ]

    # Five failures lock the name out on one address (django-axes); spread over addresses,
    # the account's own rate stops the guessing after ten tries a minute.
    assert statuses[:10] == [200] * 10
    assert statuses[10:] == [429, 429]
    throttled = Client(REMOTE_ADDR="10.2.9.9", HTTP_ACCEPT_LANGUAGE="zh-hans").post(
        "/", {"username": target, "password": PASSWORD}
    )
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0
    assert "尝试次数过多" in throttled.content.decode()
    token = Client(REMOTE_ADDR="10.2.9.9").post(
        "/api/v1/auth/token/", {"username": target, "password": PASSWORD}
    )
    assert token.status_code == 429  # the API's token requests count with the portal's


@pytest.mark.usefixtures("rates")
def test_one_address_trying_many_accounts_is_throttled(settings, twelve_officials):
    settings.THROTTLE_SIGN_IN_ADDRESS = "20/min"
    client = Client(REMOTE_ADDR="10.3.3.3")
    statuses = [
        client.post("/", {"username": f"nobody{n}", "password": "x"}).status_code for n in range(21)
    ]

    assert statuses[:20] == [200] * 20 and statuses[20] == 429
    # The admin's sign-in is the same door.
    admin = client.post("/admin/login/", {"username": "nobody", "password": "x"})
    assert admin.status_code == 429


@pytest.mark.usefixtures("rates")
def test_password_reset_sends_at_most_three_emails_an_hour_to_one_address(city_a):
    official = _official("li.wei", city_a)
    statuses = [
        Client(REMOTE_ADDR=f"10.4.0.{n}")
        .post("/password/reset/", {"email": official.email})
        .status_code
        for n in range(5)
    ]

    assert statuses == [302, 302, 302, 429, 429]
    assert len(mail.outbox) == 3


@pytest.mark.usefixtures("rates")
def test_password_reset_from_one_address_for_many_mailboxes_is_throttled(programme):
    client = Client(REMOTE_ADDR="10.5.5.5")
    statuses = [
        client.post("/password/reset/", {"email": f"someone{n}@example.org"}).status_code
        for n in range(21)
    ]

    assert statuses[:20] == [302] * 20 and statuses[20] == 429
