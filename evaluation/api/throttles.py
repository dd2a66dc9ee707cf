from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.throttling import BaseThrottle, UserRateThrottle

from evaluation.throttling import Rate, attempt, client_address, sign_in_wait

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


class WriteThrottle(UserRateThrottle):
    """Limits writes (POST, PUT, PATCH, DELETE) per user; reads are not throttled."""

    scope = "writes"

    def allow_request(self, request: Request, view: APIView) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)


class AuthThrottle(BaseThrottle):
    """Limits attempts to obtain a token per account and per address together, counted with
    the portal's and the admin's sign-ins (``evaluation.throttling``): officials behind one
    gateway do not block each other, and one account cannot be tried over and over."""

    # The per-account rate, when set here instead of THROTTLE_SIGN_IN_ACCOUNT.
    rate: str | None = None

    def allow_request(self, request: Request, view: APIView) -> bool:
        data = request.data
        account = str(data.get("username", "")) if hasattr(data, "get") else ""
        if self.rate is None:
            self.seconds = sign_in_wait(request._request, account)
        else:
            self.seconds = attempt(
                scope="sign-in",
                account=account,
                address=client_address(request._request),
                account_rate=Rate.parse(self.rate),
                address_rate=Rate.parse(settings.THROTTLE_SIGN_IN_ADDRESS),
            )
        return self.seconds is None

    def wait(self) -> float | None:
        return self.seconds
