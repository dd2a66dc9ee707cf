"""The officials' pages of foresight and follow-through: where the city is heading at the next
evaluation date (预测, the forecast) and the rectification (整改) it owes after a finalised
evaluation, each item answered with the measures taken and evidence. Thin: an official reaches
only their own cities (``views.for_city``: anything else is 404); reads are the domain's
selectors, the answer its service."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from cities.views import _context, for_city
from evaluation.exceptions import Forbidden, Locked, NotFound, WorkflowError
from evaluation.forecasts import city_forecast
from evaluation.models import Participation
from evaluation.rectifications import (
    ItemRow,
    city_rectification,
    item_history,
    rectification_item,
)
from evaluation.services.rectification import rectification_answer


@for_city
def forecast(request: HttpRequest, participation: Participation) -> HttpResponse:
    """At the current pace: the likely score, grade and release at the next evaluation date,
    with the range, each indicator's projection, and what it takes to reach the next grade."""
    view = city_forecast(
        participation=participation, fetched_by=request.user, today=timezone.localdate()
    )
    return render(
        request,
        "cities/forecast.html",
        _context(request, participation, view=view, nav="forecast"),
    )


class AnswerForm(forms.Form):
    measures = forms.CharField(
        label=gettext_lazy("Measures taken"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    evidence_note = forms.CharField(
        label=gettext_lazy("Evidence (what it is, where it can be seen)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    evidence_file = forms.FileField(label=gettext_lazy("A file of evidence"), required=False)


@for_city
def rectification(request: HttpRequest, participation: Participation) -> HttpResponse:
    """The city's rectification items: those awaiting its answer first."""
    rows = city_rectification(
        participation=participation, fetched_by=request.user, today=timezone.localdate()
    )
    return render(
        request,
        "cities/rectification.html",
        _context(request, participation, rows=rows, nav="rectification"),
    )


def _item(request: HttpRequest, participation: Participation, item_id: int) -> ItemRow:
    try:
        row = rectification_item(pk=item_id, fetched_by=request.user, today=timezone.localdate())
    except NotFound:
        raise Http404() from None
    if row.item.participation_id != participation.pk:
        raise Http404()
    return row


@for_city
@require_http_methods(["GET", "POST"])
def rectification_item_page(
    request: HttpRequest, participation: Participation, item_id: int
) -> HttpResponse:
    """One item: the shortfall, the reviewer's comment when returned, the answer form while it
    awaits the city."""
    row = _item(request, participation, item_id)
    form = AnswerForm(
        request.POST or None,
        request.FILES or None,
        initial={"measures": row.item.measures, "evidence_note": row.item.evidence_note},
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            rectification_answer(
                item=row.item,
                measures=form.cleaned_data["measures"],
                evidence_note=form.cleaned_data["evidence_note"],
                evidence=form.cleaned_data["evidence_file"],
                by=cast(User, request.user),
            )
        except Locked as exc:
            form.add_error(None, str(exc.errors[0].reason))
            status = 409
        except WorkflowError as exc:
            for error in exc.errors:
                form.add_error(error.field if error.field in form.fields else None, error.reason)
            status = 400
        except Forbidden as exc:
            form.add_error(None, str(exc))
            status = 403
        else:
            messages.success(request, _("Your answer is sent for review."))
            return redirect("cities:rectification", pk=participation.pk)
        row = _item(request, participation, item_id)
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "cities/rectification_item.html",
        _context(
            request,
            participation,
            row=row,
            form=form,
            history=item_history(item=row.item),
            nav="rectification",
        ),
        status=status,
    )


@for_city
def rectification_evidence(
    request: HttpRequest, participation: Participation, item_id: int
) -> HttpResponse:
    """The file of evidence the city sent with its answer (its officials and reviewers only)."""
    row = _item(request, participation, item_id)
    if not row.item.evidence_file:
        raise Http404()
    with row.item.evidence_file.open("rb") as kept:
        response = HttpResponse(kept.read(), content_type="application/octet-stream")
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=True, filename=row.item.evidence_name) or ""
    )
    response["X-Evidence-SHA256"] = row.item.evidence_sha256
    return response
