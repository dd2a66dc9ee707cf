"""The dual monitoring in the admin's frame (绩效运行监控): every city of a programme at a date,
its attainment so far against the path to its targets and its spending so far against its
plan, each with its deviation flag (thresholds from the ruleset); a reviewer suspends a city's
pending payment with a written reason, and a second reviewer lifts it. The reads are the
domain's (``money_selectors.programme_monitoring``), the acts its services."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from evaluation.access import Forbidden, is_reviewer
from evaluation.exceptions import WorkflowError
from evaluation.models import Participation, PaymentSuspension, Programme
from evaluation.money_selectors import programme_monitoring
from evaluation.services.monitoring import payment_lift, payment_suspend
from evaluation.vocabulary import indicator_name
from reports import figures


def _as_of(request: HttpRequest) -> dt.date | None:
    text = request.GET.get("as_of", "")
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _rate(value: object) -> str:
    return "—" if value is None else figures.percent(value)  # type: ignore[arg-type]


def monitoring(request: HttpRequest, programme_id: int) -> HttpResponse:
    """``?as_of=YYYY-MM-DD`` (today by default). Ministry reviewers only."""
    if not is_reviewer(request.user):
        raise PermissionDenied
    programme = Programme.objects.filter(pk=programme_id).first()
    if programme is None:
        raise Http404
    try:
        view = programme_monitoring(
            programme=programme, as_of=_as_of(request), fetched_by=request.user
        )
    except Forbidden:
        raise PermissionDenied from None
    rows = [
        {
            "participation": row.participation,
            "name": indicator_name(row.participation.city),
            "attainment": _rate(row.so_far.attainment),
            "attainment_low": row.so_far.attainment_low,
            "spent": figures.money(row.so_far.spent),
            "planned": figures.money(row.so_far.planned),
            "execution": _rate(row.so_far.execution),
            "execution_low": row.so_far.execution_low,
            "both_low": row.so_far.both_low,
            "suspension": row.suspension,
            "indicators": [
                {
                    "name": i.indicator,
                    "ratio": _rate(i.ratio),
                }
                for i in row.so_far.indicators
            ],
        }
        for row in view.cities
    ]
    return TemplateResponse(
        request,
        "reports/monitoring.html",
        {
            **admin.site.each_context(request),
            "title": _("Dual monitoring of programme %(code)s") % {"code": programme.code},
            "view": view,
            "rows": rows,
            "attainment_threshold": figures.percent(view.attainment_threshold),
            "execution_threshold": figures.percent(view.execution_threshold),
            "here": reverse("reports_admin:monitoring", args=[programme.pk])
            + f"?as_of={view.as_of.isoformat()}",
        },
    )


def _back(request: HttpRequest, programme_id: int) -> HttpResponse:
    target = request.POST.get("next", "")
    if not target.startswith("/admin/"):
        target = reverse("reports_admin:monitoring", args=[programme_id])
    return redirect(target)


def _refused(request: HttpRequest, exc: WorkflowError | Forbidden) -> None:
    reason = (
        "; ".join(str(e.reason) for e in exc.errors) if isinstance(exc, WorkflowError) else str(exc)
    )
    messages.error(request, reason)


@require_POST
def suspend(request: HttpRequest, programme_id: int, participation_id: int) -> HttpResponse:
    """Suspend the city's pending payment, with the reason typed on the page."""
    if not is_reviewer(request.user):
        raise PermissionDenied
    participation = Participation.objects.filter(
        pk=participation_id, programme_id=programme_id
    ).first()
    if participation is None:
        raise Http404
    try:
        payment_suspend(
            participation=participation,
            reason=request.POST.get("reason", ""),
            by=request.user,  # type: ignore[arg-type]
        )
    except (WorkflowError, Forbidden) as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("The payment to %(city)s is suspended.")
            % {"city": indicator_name(participation.city)},
        )
    return _back(request, programme_id)


@require_POST
def lift(request: HttpRequest, programme_id: int, suspension_id: int) -> HttpResponse:
    """Lift a suspension (another reviewer than the one who suspended), with the reason."""
    if not is_reviewer(request.user):
        raise PermissionDenied
    suspension = (
        PaymentSuspension.objects.filter(pk=suspension_id, participation__programme_id=programme_id)
        .select_related("participation__city")
        .first()
    )
    if suspension is None:
        raise Http404
    try:
        payment_lift(
            suspension=suspension,
            reason=request.POST.get("reason", ""),
            by=request.user,  # type: ignore[arg-type]
        )
    except (WorkflowError, Forbidden) as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("The suspension of the payment to %(city)s is lifted.")
            % {"city": indicator_name(suspension.participation.city)},
        )
    return _back(request, programme_id)
