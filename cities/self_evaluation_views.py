"""The city's self-evaluation (自评) and the province's review (省级复核) on the portal.

The city's officials prepare, explain and submit their self-evaluation on their city's pages
(``views.for_city``: anything else is 404). A provincial reviewer works on the province's own
pages (``/province/``): the province's cities, the self-evaluations and reports awaiting it,
each returned with a comment or forwarded to the ministry with the province's opinion. The
province works here, not in the ministry's admin: its people are outside the ministry, and
the portal is already the place for people who act on some cities only (officials, experts),
with the isolation that goes with it. Thin: reads from ``evaluation.self_evaluations``,
writes through ``evaluation.services.self_evaluation`` and ``services.reporting``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cities.views import _context, _user, for_city
from evaluation import selectors, vocabulary, workflow
from evaluation.exceptions import Forbidden, NotFound, WorkflowError
from evaluation.models import Participation, SelfEvaluation
from evaluation.self_evaluations import (
    city_self_evaluations,
    opinions_of,
    province_report,
    province_work,
    self_evaluation_get,
    self_evaluation_view,
)
from evaluation.services import reporting
from evaluation.services import self_evaluation as service


def _errors(error: WorkflowError) -> tuple[dict[str, list[str]], list[str]]:
    """The refusals by field, and those about the request as a whole."""
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    for item in error.errors:
        if item.field:
            by_field.setdefault(item.field, []).append(item.reason)
        else:
            general.append(item.reason)
    return by_field, general


# The city ------------------------------------------------------------------------------------


@for_city
@require_http_methods(["GET", "POST"])
def self_evaluations(request: HttpRequest, participation: Participation) -> HttpResponse:
    """Each evaluation date with its self-evaluation; POST begins one (the engine's figures)."""
    if request.method == "POST":
        try:
            as_of = dt.date.fromisoformat(request.POST.get("as_of", ""))
            item = service.self_evaluation_prepare(
                participation=participation, as_of=as_of, by=_user(request)
            )
        except ValueError:
            messages.error(request, _("choose an evaluation date"))
        except WorkflowError as exc:
            messages.error(request, " ".join(e.reason for e in exc.errors))
        else:
            return redirect("cities:self_evaluation", pk=participation.pk, item_id=item.pk)
    rows = city_self_evaluations(participation=participation, fetched_by=request.user)
    return render(
        request,
        "cities/self_evaluations.html",
        _context(request, participation, rows=rows, nav="self_evaluation"),
    )


def _own(request: HttpRequest, participation: Participation, item_id: int) -> SelfEvaluation:
    try:
        item = self_evaluation_get(pk=item_id, fetched_by=request.user)
    except NotFound:
        raise Http404() from None
    if item.participation_id != participation.pk:
        raise Http404()
    return item


@for_city
@require_http_methods(["GET", "POST"])
def self_evaluation(
    request: HttpRequest, participation: Participation, item_id: int
) -> HttpResponse:
    """The self-evaluation: the figures, a reason and measures for each shortfall, a summary;
    saved, brought up to date, or submitted (refused, naming each indicator, while a
    shortfall is unexplained; a refusal changes nothing and keeps what was typed)."""
    item = _own(request, participation, item_id)
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action", "save")
        try:
            if action == "refresh":
                service.self_evaluation_prepare(
                    participation=participation, as_of=item.as_of, by=_user(request)
                )
                messages.success(request, _("The figures were computed again."))
            else:
                view = self_evaluation_view(self_evaluation=item, fetched_by=request.user)
                service.self_evaluation_explain(
                    self_evaluation=item,
                    explanations={
                        line.code: (
                            request.POST.get(f"reason-{line.code}", ""),
                            request.POST.get(f"measures-{line.code}", ""),
                        )
                        for line in view.lines
                        if line.short
                    },
                    summary=request.POST.get("summary", ""),
                    by=_user(request),
                )
                if action == "submit":
                    service.self_evaluation_submit(self_evaluation=item, by=_user(request))
                    messages.success(
                        request,
                        _("The self-evaluation was submitted: it can now be printed and stamped."),
                    )
                else:
                    messages.success(request, _("Saved."))
        except WorkflowError as exc:
            errors, general = _errors(exc)
        else:
            return redirect("cities:self_evaluation", pk=participation.pk, item_id=item.pk)
    view = self_evaluation_view(self_evaluation=item, fetched_by=request.user)
    return render(
        request,
        "cities/self_evaluation.html",
        _context(
            request,
            participation,
            view=view,
            errors=errors,
            general=general,
            pdf_url=reverse("reports:self_evaluation_pdf", args=[item.pk]),
            nav="self_evaluation",
        ),
    )


# The province --------------------------------------------------------------------------------


def for_province(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in provincial reviewers only: anyone else, and anything outside the province,
    is 404."""

    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            work = province_work(fetched_by=request.user)
            return view(request, work, *args, **kwargs)
        except NotFound:
            raise Http404() from None

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@for_province
def province_home(request: HttpRequest, work: Any) -> HttpResponse:
    """The province's cities, and the self-evaluations and reports awaiting its review."""
    return render(request, "cities/province_home.html", {"work": work, "province_nav": True})


def _province_step(
    request: HttpRequest, step: Callable[[str], object], done: str
) -> tuple[dict[str, list[str]], list[str]] | None:
    try:
        step(request.POST.get("text", ""))
    except WorkflowError as exc:
        return _errors(exc)
    except Forbidden as exc:
        return {}, [str(exc)]
    messages.success(request, done)
    return None


@for_province
@require_http_methods(["GET", "POST"])
def province_self_evaluation(request: HttpRequest, work: Any, item_id: int) -> HttpResponse:
    """A city's self-evaluation: the figures, its reasons, the opinions so far; returned to the
    city with a comment or forwarded to the ministry with the province's opinion."""
    try:
        item = self_evaluation_get(pk=item_id, fetched_by=request.user)
    except NotFound:
        raise Http404() from None
    if item.participation.city.code[:2] != work.province:
        raise Http404()
    refused: tuple[dict[str, list[str]], list[str]] | None = None
    if request.method == "POST":
        by = _user(request)
        if request.POST.get("action") == "forward":
            refused = _province_step(
                request,
                lambda text: service.self_evaluation_forward(
                    self_evaluation=item, opinion=text, by=by
                ),
                _("Forwarded to the ministry with the province's opinion."),
            )
        else:
            refused = _province_step(
                request,
                lambda text: service.self_evaluation_send_back(
                    self_evaluation=item, comment=text, by=by
                ),
                _("Returned to the city."),
            )
        if refused is None:
            return redirect("cities:province")
    view = self_evaluation_view(self_evaluation=item, fetched_by=request.user)
    errors, general = refused or ({}, [])
    return render(
        request,
        "cities/province_self_evaluation.html",
        {
            "work": work,
            "view": view,
            "errors": errors,
            "general": general,
            "typed": request.POST.get("text", ""),
            "pdf_url": reverse("reports:self_evaluation_pdf", args=[item.pk]),
            "province_nav": True,
        },
    )


@for_province
@require_http_methods(["GET"])
def province_evidence(request: HttpRequest, work: Any, report_id: int, evidence_id: int) -> Any:
    """A file of evidence of a report the province reviews (anything else: 404)."""
    from evaluation.evidence_files import evidence_response

    found = (
        selectors.evidence_for(request.user)
        .filter(pk=evidence_id, report_id=report_id, removed_at__isnull=True)
        .first()
    )
    if found is None:
        raise Http404()
    return evidence_response(found)


@for_province
@require_http_methods(["GET", "POST"])
def province_report_page(request: HttpRequest, work: Any, report_id: int) -> HttpResponse:
    """A city's report: its values, the opinions so far; returned to the city with a comment
    or forwarded to the ministry with the province's opinion."""
    try:
        report = province_report(pk=report_id, fetched_by=request.user)
    except NotFound:
        raise Http404() from None
    refused: tuple[dict[str, list[str]], list[str]] | None = None
    if request.method == "POST":
        by = _user(request)
        action = request.POST.get("action")
        if action == "forward":
            refused = _province_step(
                request,
                lambda text: reporting.report_forward(report=report, opinion=text, by=by),
                _("Forwarded to the ministry with the province's opinion."),
            )
        elif action == "send_back_values":
            refused = _send_back_values(request, report, by=by)
        else:
            refused = _province_step(
                request,
                lambda text: reporting.report_send_back(report=report, comment=text, by=by),
                _("Returned to the city."),
            )
        if refused is None:
            return redirect("cities:province")
        report.refresh_from_db()
    values = selectors.period_values(city_id=report.participation.city_id, period=report.period)
    evidence = selectors.report_evidence(report_id=report.pk)
    files: dict[int | None, list[Any]] = {}
    for found in evidence:
        files.setdefault(found.value_id, []).append(found)
    errors, general = refused or ({}, [])
    steps = {
        step.code
        for step in workflow.REPORT.steps_from(
            report.status, workflow.Actor.PROVINCE, provincial=True
        )
    }
    posted = request.POST if request.POST.get("action") == "send_back_values" else None
    return render(
        request,
        "cities/province_report.html",
        {
            "work": work,
            "report": report,
            "status_label": workflow.REPORT.label(report.status),
            "values": [
                (
                    vocabulary.indicator_name(v.indicator),
                    v.value,
                    vocabulary.indicator_unit(v.indicator),
                    v.indicator.decimal_places,
                    files.get(v.pk, []),
                )
                for v in values
            ],
            "report_files": files.get(None, []),
            "opinions": opinions_of(report=report),
            # What the city said: the conversation (its replies to a return); each value's files
            # beside it above, the report's own below.
            "conversation": selectors.report_comments(report_id=report.pk),
            "may_act": bool(steps - {"send_back_values"}),
            # The single-value return: each of the report's own values, with what was typed.
            "returnable": [
                {
                    "code": v.indicator.code,
                    "name": vocabulary.indicator_name(v.indicator),
                    "value": v.value,
                    "unit": vocabulary.indicator_unit(v.indicator),
                    "places": v.indicator.decimal_places,
                    "reason": posted.get(f"reason-{v.indicator.code}", "") if posted else "",
                    "errors": errors.get(f"reasons.{v.indicator.code}", []) if posted else [],
                }
                for v in values
                if v.report_id == report.pk
            ]
            if "send_back_values" in steps
            else [],
            "errors": {} if posted else errors,
            "value_errors": [
                reason
                for field, reasons in errors.items()
                if not field.startswith("reasons.")
                for reason in reasons
            ]
            if posted
            else [],
            "general": general,
            "typed": "" if posted else request.POST.get("text", ""),
            "comment": posted.get("comment", "") if posted else "",
            "province_nav": True,
        },
    )


def _send_back_values(
    request: HttpRequest, report: Any, *, by: Any
) -> tuple[dict[str, list[str]], list[str]] | None:
    """The province returns the values given a reason, each with it, and the optional word on
    the whole report (the ministry's single-value return, taken by the province)."""
    names = {
        v.indicator.code: vocabulary.indicator_name(v.indicator)
        for v in selectors.period_values(city_id=report.participation.city_id, period=report.period)
        if v.report_id == report.pk
    }
    reasons = {
        code: request.POST.get(f"reason-{code}", "")
        for code in names
        if request.POST.get(f"reason-{code}", "").strip()
    }
    return _province_step(
        request,
        lambda _text: reporting.report_return_values(
            report=report,
            reasons=reasons,
            comment=request.POST.get("comment", ""),
            by=by,
            step="send_back_values",
        ),
        _("Returned to the city: %(names)s.")
        % {"names": _(", ").join(names[code] for code in names if code in reasons)},
    )
