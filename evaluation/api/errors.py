"""One error format for every refusal, each error with a machine-readable ``code`` beside its
reason in words (clients match the code, never the words):

{"errors": [{"field": "values.pledge_amount", "code": "too_many_decimals", "reason": "…"}]}
{"errors": [{"line": 5, "column": "value", "code": "negative", "reason": "…"}]}
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from evaluation.exceptions import (
    FieldError,
    Forbidden,
    ImportRefused,
    Locked,
    NoRuleset,
    NotFound,
    StaleVersion,
    WorkflowError,
)


def _flatten(detail: Any, prefix: str | None = None) -> list[dict[str, Any]]:
    """DRF's nested error details as a flat list; each detail keeps DRF's own code
    (``required``, ``invalid``, ``null``…)."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            name = None if key == "non_field_errors" else (f"{prefix}.{key}" if prefix else key)
            out += _flatten(value, name)
        return out
    if isinstance(detail, list):
        out = []
        for index, value in enumerate(detail):
            nested = isinstance(value, dict | list)
            out += _flatten(value, f"{prefix}[{index}]" if nested and prefix else prefix)
        return out
    return [
        {"field": prefix, "code": getattr(detail, "code", None) or "invalid", "reason": str(detail)}
    ]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ImportRefused):
        more = (
            [{"field": None, "code": "more_errors", "reason": exc.more_text()}] if exc.more else []
        )
        return Response(
            {"errors": [e.as_dict() for e in exc.errors] + more},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, NoRuleset):
        exc = WorkflowError([FieldError(None, str(exc))])
    if isinstance(exc, WorkflowError):
        code = (
            status.HTTP_409_CONFLICT
            if isinstance(exc, Locked | StaleVersion)
            else status.HTTP_400_BAD_REQUEST
        )
        return Response({"errors": [e.as_dict() for e in exc.errors]}, status=code)
    if isinstance(exc, NotFound | Http404):
        # One answer for every unknown or hidden object, in the client's language (Django's
        # Http404 from a lookup would say the model's name, in English).
        exc = exceptions.NotFound()
    elif isinstance(exc, Forbidden):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"errors": _flatten(exc.detail)}
    else:
        detail = response.data.get("detail", response.data) if response.data else ""
        error_code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = {"errors": [{"field": None, "code": error_code, "reason": str(detail)}]}
    return response
