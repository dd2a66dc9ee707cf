"""The OpenAPI schema says what the API sends: besides each operation's own answer, the
refusals it can give (400, 401, 403, 404, 409, 415, 429), all in the one error shape of
``evaluation.api.errors``.

Which refusals an operation documents is decided here, in one place, from what the view does:
every authenticated operation may answer 401 (no or an expired token) and 403 (a reviewer-only
operation, or a session write without its CSRF token); lists and objects 404 (another city's
object, an unknown page); writes 429 (the write rate); reports, uploads, decisions and
self-evaluations 409 (a locked report, a closed period, a stale version, a decision already
signed off, a self-evaluation's step out of turn); a write that takes no JSON (the upload)
415. A view can name its own with an ``error_statuses`` attribute.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.parsers import JSONParser

REFUSALS: dict[int, Any] = {
    400: _("Bad request: each error names the field, filter or file row (line and column)."),
    401: _("Not signed in, or the token is wrong or has expired."),
    403: _("Not allowed: reviewers only, or a session write without its CSRF token."),
    404: _("Not found, or another city's (the same answer)."),
    409: _(
        "Conflict with the object's state: a submitted or approved report, a closed period, a "
        "stale version, a decision already signed off, a self-evaluation awaiting its "
        "province's review, or a restart of a run that has not failed."
    ),
    415: _("Unsupported media type: send the file as multipart/form-data."),
    429: _("Too many requests: wait for the seconds in Retry-After."),
}

# Writes on these paths can conflict with a report's or a decision's state.
CONFLICTING_PATHS = (
    "/api/v1/reports/",
    "/api/v1/decisions/",
    "/api/v1/participations/{id}/upload/",
    "/api/v1/runs/{id}/restart/",
    "/api/v1/expenditure/",
    "/api/v1/participations/{id}/plan/",
    "/api/v1/participations/{id}/tasks/",
    "/api/v1/self-evaluations/",
)


class ErrorItemSerializer(serializers.Serializer[Any]):
    field = serializers.CharField(
        allow_null=True,
        required=False,
        help_text=_("the request field or filter refused (null: the request as a whole)"),
    )
    line = serializers.IntegerField(required=False, help_text=_("a file's refused row"))
    column = serializers.CharField(required=False, help_text=_("the column of that row"))
    code = serializers.CharField(
        help_text=_(
            "why, as a stable machine-readable word (e.g. period_closed, stale_version, "
            "not_a_number, report_approved, required): match this, not the words"
        )
    )
    reason = serializers.CharField(help_text=_("why, in words, in the client's language"))


class ErrorSerializer(serializers.Serializer[Any]):
    # The shape's own word, though it hides Serializer.errors (this one only documents).
    errors = ErrorItemSerializer(many=True)  # type: ignore[assignment]


class AutoSchema(openapi.AutoSchema):
    def error_statuses(self) -> list[int]:
        explicit = getattr(self.view, "error_statuses", None)
        if explicit is not None:
            return sorted(explicit)
        public = not getattr(self.view, "authentication_classes", True)
        method = self.method.upper()
        statuses = {400}
        if not public:
            statuses |= {401, 403, 404}
        if method not in ("GET", "HEAD", "OPTIONS"):
            statuses.add(429)
            if self.path.startswith(CONFLICTING_PATHS):
                statuses.add(409)
            parsers = getattr(self.view, "parser_classes", [])
            if not any(issubclass(parser, JSONParser) for parser in parsers):
                statuses.add(415)
        return sorted(statuses)

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code in self.error_statuses():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                    OpenApiResponse(response=ErrorSerializer, description=str(REFUSALS[code])),
                    str(code),
                    direction=direction,
                )
        return responses
