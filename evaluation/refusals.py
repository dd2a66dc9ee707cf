"""No refusal answers 500: a domain refusal that reaches the top of a page's view (portal,
admin, reports) is answered here with its status and its reasons, in the reader's language,
like the API's own handler (``evaluation.api.errors``) answers those under ``/api/``.

Views still catch the refusals they can answer better (a form's field, a file's rows); this is
the floor under all of them, so a rule added to a service can never take a page down."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults

from evaluation.exceptions import (
    Forbidden,
    FrozenRulesetError,
    ImportRefused,
    Locked,
    NoRuleset,
    NotFound,
    StaleVersion,
    Unavailable,
    WorkflowError,
    code_of,
)
from evaluation.scoring import PeriodError
from evaluation.scoring.engine import EvaluationError


def refusal(exc: Exception) -> tuple[int, list[str]] | None:
    """The status and the reasons of a domain refusal (None: not one)."""
    if isinstance(exc, ImportRefused):
        reasons = [str(error) for error in exc.errors]
        return 400, reasons + ([exc.more_text()] if exc.more else [])
    if isinstance(exc, Locked | StaleVersion):
        return 409, [error.reason for error in exc.errors]
    if isinstance(exc, WorkflowError):
        return 400, [error.reason for error in exc.errors]
    if isinstance(exc, NoRuleset | Unavailable):
        return 409, [str(exc)]
    if isinstance(exc, FrozenRulesetError):
        return 409, list(exc.messages)
    if isinstance(exc, Forbidden):
        return 403, [str(exc) or _("You may not do this.")]
    if isinstance(exc, PeriodError):
        # The pure core's errors are English: the reader gets the rule in their language.
        return 400, [_("not a period: use a year (2019), a quarter (2020-Q3) or a month (2020-07)")]
    if isinstance(exc, EvaluationError):
        return 400, [_("the evaluation's inputs break one of its rules")]
    if isinstance(exc, ValidationError):
        return 400, list(exc.messages)
    return None


def _json(reasons: list[str], status: int) -> JsonResponse:
    """The API's one error shape (``evaluation.api.errors``), its words as they are."""
    return JsonResponse(
        {
            "errors": [
                {"field": None, "code": code_of(reason, "refused"), "reason": str(reason)}
                for reason in reasons
            ]
        },
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


class RefusalMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        api = request.path.startswith("/api/")
        if isinstance(exc, NotFound):
            if api:
                return _json([_("Not found.")], 404)
            return defaults.page_not_found(request, exc)
        answer = refusal(exc)
        if answer is None:
            return None
        status, reasons = answer
        if api:
            return _json(reasons, status)
        return render(
            request, "refused.html", {"reasons": reasons, "status": status}, status=status
        )
