"""The expert panel's pages (专家评审): an expert sees the cities they are assigned to score, and
on each city's page its tasks with what the city shows for them, and scores each task from 0
to 1 with a comment. Thin: reads from ``evaluation.panel_selectors``, writes through
``evaluation.services.panel.task_score_set`` (the same rules as ``import_task_scores``). Anyone
who is not the city's expert gets 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cities.views import _user
from evaluation.exceptions import NotFound, WorkflowError
from evaluation.panel_selectors import expert_cities, expert_city
from evaluation.services.panel import task_score_set


@login_required
def panel_home(request: HttpRequest) -> HttpResponse:
    try:
        cities = expert_cities(fetched_by=request.user)
    except NotFound:
        raise Http404() from None
    return render(request, "cities/panel_home.html", {"cities": cities, "panel": True})


class _Refused(Exception):
    pass


@login_required
@require_http_methods(["GET", "POST"])
def panel_city(request: HttpRequest, pk: int) -> HttpResponse:
    """Every task of the city on one form: a score (0 to 1, two decimals) and a comment each;
    saving stores every task given a score, all or nothing."""
    try:
        city = expert_city(pk=pk, fetched_by=request.user, today=timezone.localdate())
    except NotFound:
        raise Http404() from None
    errors: dict[str, list[str]] = {}
    typed: dict[str, tuple[str, str]] = {}
    if request.method == "POST":
        for task in city.tasks:
            score = request.POST.get(f"score-{task.code}", "").strip()
            comment = request.POST.get(f"comment-{task.code}", "")
            typed[task.code] = (score, comment)
        try:
            with transaction.atomic():
                for task in city.tasks:
                    score, comment = typed[task.code]
                    if not score or task.locked:
                        continue
                    try:
                        task_score_set(
                            participation=city.participation,
                            task=task.code,
                            score=score,
                            comment=comment,
                            by=_user(request),
                        )
                    except WorkflowError as exc:
                        errors[task.code] = [str(e.reason) for e in exc.errors]
                if errors:
                    raise _Refused
        except _Refused:
            pass
        else:
            messages.success(request, _("Your scores are saved."))
            return redirect("cities:panel_city", pk=pk)
    return render(
        request,
        "cities/panel_city.html",
        {"city": city, "errors": errors, "typed": typed, "panel": True},
        status=400 if errors else 200,
    )
