"""The checkers' pages (抽查核实): a checker of the ministry sees the values the spot checks
sampled and records, for each, the verified value with a note and a file of evidence. A small
page of its own rather than the admin: a checker holds no other right in the admin, and sees
only the sampled items. Thin: reads from ``evaluation.check_selectors``, writes through
``evaluation.services.checks.spot_check_record``. Anyone who is not a checker gets 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cities.views import _user
from evaluation.access import is_checker
from evaluation.check_selectors import spot_check_item, spot_check_items_for
from evaluation.exceptions import NotFound, WorkflowError
from evaluation.services.checks import spot_check_record


@login_required
def checks_home(request: HttpRequest) -> HttpResponse:
    if not is_checker(request.user):
        raise Http404()
    items = list(spot_check_items_for(request.user))
    return render(request, "cities/checks_home.html", {"items": items, "checks": True})


@login_required
@require_http_methods(["GET", "POST"])
def check_item(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        found = spot_check_item(pk=pk, fetched_by=request.user)
    except NotFound:
        raise Http404() from None
    errors: dict[str, list[str]] = {}
    typed = {"verified_value": "", "note": ""}
    if request.method == "POST":
        typed = {
            "verified_value": request.POST.get("verified_value", ""),
            "note": request.POST.get("note", ""),
        }
        try:
            spot_check_record(
                item=found.item,
                verified_value=typed["verified_value"],
                note=typed["note"],
                evidence=request.FILES.get("evidence"),
                by=_user(request),
            )
        except WorkflowError as exc:
            for error in exc.errors:
                errors.setdefault(error.field or "request", []).append(str(error.reason))
        else:
            messages.success(request, _("The verified value is recorded."))
            return redirect("cities:checks")
    return render(
        request,
        "cities/check_item.html",
        {"found": found, "item": found.item, "errors": errors, "typed": typed, "checks": True},
        status=400 if errors else 200,
    )
