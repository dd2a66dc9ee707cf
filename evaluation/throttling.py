"""Rate limits on signing in and on asking for a password reset, counted per account *and* per
address together.

Officials of one province often reach the site through one government gateway, so they share
an address: a limit per address alone low enough to stop someone guessing one account's
password would block a dozen colleagues signing in at nine in the morning. Each attempt is
therefore counted twice: against the account (the user name, or the email address a reset is
asked for), with a low limit that stops guessing and mail-bombing one person, and against the
client address, with a limit high enough for a gateway's worth of officials that still stops
one address trying many accounts. An attempt over either limit is refused (429, with
``Retry-After``). The lock-out after repeated wrong passwords (django-axes) is separate and
stays per user name and address.

The portal's and the admin's sign-in and the password reset are throttled by
``SignInThrottleMiddleware``, the API's token requests by ``evaluation.api.throttles`` (the same
counters: an account's attempts add up whichever way in they take)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``10/min``, ``3/hour``, ``100/m``: a count per second, minute, hour or day."""
        count, per = text.split("/")
        return cls(int(count), UNITS[per.strip()[0]])


def _count(key: str, rate: Rate, now: float) -> int | None:
    """Count an attempt in the current window of ``rate``; the seconds to wait when it is one
    too many."""
    window = int(now // rate.seconds)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"throttle:{digest}:{rate.seconds}:{window}"
    if cache.add(cache_key, 1, timeout=rate.seconds + 1):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # the window ended in between
            cache.add(cache_key, 1, timeout=rate.seconds + 1)
            count = 1
    if count <= rate.count:
        return None
    return max(1, int(rate.seconds - now % rate.seconds))


def attempt(
    *, scope: str, account: str, address: str, account_rate: Rate, address_rate: Rate
) -> int | None:
    """Count one attempt against the account and the address; ``None`` when both are within
    their rates, else the seconds to wait."""
    now = time.time()
    waits = []
    account = account.strip().lower()
    if account:
        waits.append(_count(f"{scope}:account:{account}", account_rate, now))
    waits.append(_count(f"{scope}:address:{address}", address_rate, now))
    found = [wait for wait in waits if wait is not None]
    return max(found) if found else None


def client_address(request: HttpRequest) -> str:
    """The address the request came from (``REMOTE_ADDR``: a client cannot choose it by
    sending ``X-Forwarded-For``)."""
    return str(request.META.get("REMOTE_ADDR", ""))


def sign_in_wait(request: HttpRequest, account: str) -> int | None:
    """Count a sign-in attempt (portal, admin or API token) for ``account``."""
    return attempt(
        scope="sign-in",
        account=account,
        address=client_address(request),
        account_rate=Rate.parse(settings.THROTTLE_SIGN_IN_ACCOUNT),
        address_rate=Rate.parse(settings.THROTTLE_SIGN_IN_ADDRESS),
    )


def password_reset_wait(request: HttpRequest, email: str) -> int | None:
    """Count a password-reset request for ``email``."""
    return attempt(
        scope="password-reset",
        account=email,
        address=client_address(request),
        account_rate=Rate.parse(settings.THROTTLE_PASSWORD_RESET_ACCOUNT),
        address_rate=Rate.parse(settings.THROTTLE_PASSWORD_RESET_ADDRESS),
    )


# The pages whose POST is an attempt, and the field naming the account.
THROTTLED = {
    "cities:login": (sign_in_wait, "username"),
    "admin:login": (sign_in_wait, "username"),
    "cities:password_reset": (password_reset_wait, "email"),
}


class SignInThrottleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        if request.method != "POST" or match is None or match.view_name not in THROTTLED:
            return None
        wait_for, field = THROTTLED[match.view_name]
        wait = wait_for(request, str(request.POST.get(field, "")))
        if wait is None:
            return None
        response = render(request, "throttled.html", {"wait": wait}, status=429)
        response["Retry-After"] = str(wait)
        return response
