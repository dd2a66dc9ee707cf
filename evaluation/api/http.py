"""Django's own 404 and 500 pages, in the API's error shape under /api/: a URL no route
matches (``/api/v1/reports/March/``) is answered in JSON like every other refusal there."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

API_PREFIX = "/api/"


def _error(code: str, reason: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"errors": [{"field": None, "code": code, "reason": reason}]}, status=status
    )


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _error("not_found", _("Not found."), 404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _error("error", _("A server error occurred."), 500)
    return defaults.server_error(request)
