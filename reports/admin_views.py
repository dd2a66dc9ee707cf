"""The reports app's pages inside the admin's frame (its login, its look): two runs
compared, the completeness of every city's reports with a reminder for a city, and the
metrics and targets exported in the formats of interfaces.md. They read
through ``evaluation`` (selectors, access); ``evaluation`` never imports this app, it links
here by URL name."""

from __future__ import annotations

from typing import cast

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from evaluation.access import is_administrator, is_reviewer
from evaluation.exceptions import WorkflowError
from evaluation.models import EvaluationRun, MetricValue, Participation, Programme
from evaluation.services.reminders import city_reminder_request
from evaluation.vocabulary import indicator_name
from reports.comparison import runs_compare
from reports.exports import as_file, metrics_rows, targets_rows
from reports.selectors import completeness_get


def run_comparison(request: HttpRequest) -> HttpResponse:
    """``?runs=A&runs=B``: the earlier run against the later one. Ministry reviewers only."""
    if not is_reviewer(request.user):
        raise PermissionDenied
    ids = request.GET.getlist("runs")
    runs = list(
        EvaluationRun.objects.filter(pk__in=[i for i in ids if i.isdigit()])
        .select_related("programme", "ruleset__programme")
        .order_by("created_at", "id")
    )
    if len(runs) != 2:
        raise Http404(_("Choose two runs to compare."))
    before, after = runs
    return TemplateResponse(
        request,
        "reports/run_comparison.html",
        {
            **admin.site.each_context(request),
            "title": _("Run #%(before)s compared with run #%(after)s")
            % {"before": before.pk, "after": after.pk},
            "comparison": runs_compare(before=before, after=after),
        },
    )


def completeness(request: HttpRequest, programme_id: int) -> HttpResponse:
    """Every city of the programme by every period it owes so far, each cell its state; a
    reminder for a city's row. Ministry reviewers only."""
    if not is_reviewer(request.user):
        raise PermissionDenied
    programme = get_object_or_404(Programme, pk=programme_id)
    grid = completeness_get(
        programme=programme,
        today=timezone.localdate(),
        fetched_by=request.user,
        late_only=request.GET.get("late") == "1",
    )
    return TemplateResponse(
        request,
        "reports/completeness.html",
        {
            **admin.site.each_context(request),
            "title": _("Completeness of the reports of programme %(programme)s")
            % {"programme": programme.code},
            "grid": grid,
        },
    )


@require_POST
def completeness_remind(request: HttpRequest, programme_id: int) -> HttpResponse:
    """Remind one city's officials of every report awaiting them that is due or overdue."""
    if not is_reviewer(request.user):
        raise PermissionDenied
    chosen = request.POST.get("participation", "")
    if not chosen.isdigit():
        raise Http404
    participation = get_object_or_404(
        Participation.objects.select_related("city", "programme"),
        pk=int(chosen),
        programme_id=programme_id,
    )
    try:
        reminder = city_reminder_request(
            participation=participation,
            today=timezone.localdate(),
            by=cast(User, request.user),
        )
    except WorkflowError as refused:
        for error in refused.errors:
            messages.error(request, error.reason)
    else:
        messages.success(
            request,
            _("A reminder of %(periods)s is on its way to the officials of %(city)s.")
            % {"periods": ", ".join(reminder.periods), "city": indicator_name(participation.city)},
        )
    return redirect("reports_admin:completeness", programme_id=programme_id)


def export(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    """The metrics (``?status=`` to limit them) or a programme's targets (``?programme=``) as
    CSV or XLSX. Administrators only."""
    if not is_administrator(request.user):
        raise PermissionDenied
    if fmt not in ("csv", "xlsx") or kind not in ("metrics", "targets"):
        raise Http404
    if kind == "metrics":
        values = MetricValue.objects.select_related("city", "indicator").order_by(
            "city__code", "indicator__position", "year", "granularity", "number"
        )
        if request.GET.get("status"):
            values = values.filter(status=request.GET["status"])
        rows = metrics_rows(values)
        name = "metrics"
    else:
        programme = Programme.objects.filter(code=request.GET.get("programme", "2020")).first()
        if programme is None:
            raise Http404
        rows = targets_rows(programme)
        name = f"targets-{programme.code}"
    content, content_type = as_file(rows, fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
