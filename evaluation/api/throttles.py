from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

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


class AuthThrottle(AnonRateThrottle):
    """Limits attempts to obtain a token, per client address."""

    scope = "auth"
