"""The reviewers' pages of foresight and follow-through, in the admin's frame (its sign-in, its
look), like the run comparison: every city's forecast sortable by the risk of falling a tier,
draft rulesets with what they would change (what-if), and the programme's rectification.
Thin: reads come from the domain's selectors, writes from its services; a refusal is shown on
the field it names. Reviewers only (403 to anyone else signed in to the admin; the admin's
sign-in for everyone else)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from evaluation.access import Forbidden, NotFound, is_administrator, is_reviewer
from evaluation.exceptions import Locked, WorkflowError
from evaluation.forecasts import ORDERS, city_forecast, programme_forecast
from evaluation.models import Participation, Programme, RectificationItem, Ruleset
from evaluation.rectifications import (
    item_history,
    programme_rectification,
    rectification_item,
    rectification_items_for,
)
from evaluation.services import drafts, rectification
from reports.foresight_forms import CompareForm, DraftForm, ReviewForm
from reports.models import ComparisonDocument, DraftComparison, Language
from reports.whatif import comparison_get, comparison_view, draft_comparison_request

View = Callable[..., HttpResponseBase]


def _reviewers(view: View) -> View:
    """Reviewers only; the domain's refusals become 404 and 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_reviewer(request.user):
            raise PermissionDenied
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404() from None
        except Forbidden as exc:
            raise PermissionDenied(str(exc)) from None

    return wrapped


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _page(request: HttpRequest, template: str, title: str, **context: Any) -> TemplateResponse:
    return TemplateResponse(
        request, template, {**admin.site.each_context(request), "title": title, **context}
    )


def _programme(request: HttpRequest) -> Programme:
    """The programme asked for (``?programme=CODE``), else the newest active one."""
    code = request.GET.get("programme") or request.POST.get("programme")
    programmes = Programme.objects.filter(rulesets__isnull=False).distinct().order_by("-code")
    found = programmes.filter(code=code).first() if code else programmes.first()
    if found is None:
        raise Http404()
    return found


def _programmes() -> list[Programme]:
    return list(Programme.objects.filter(rulesets__isnull=False).distinct().order_by("-code"))


# Forecast -----------------------------------------------------------------------------------


@_reviewers
def forecast(request: HttpRequest) -> HttpResponse:
    """Every city's forecast at the programme's next evaluation date (``?order=risk|score|city``,
    the risk of falling a tier by default)."""
    programme = _programme(request)
    order = request.GET.get("order", "risk")
    if order not in ORDERS:
        order = "risk"
    found = programme_forecast(
        programme=programme, fetched_by=request.user, today=timezone.localdate(), order=order
    )
    return _page(
        request,
        "reports/foresight/forecast.html",
        _("Forecast of programme %(programme)s") % {"programme": programme.code},
        forecast=found,
        programmes=_programmes(),
        order=order,
        orders=[
            ("risk", _("risk of falling a tier")),
            ("score", _("likely score")),
            ("city", _("city code")),
        ],
    )


@_reviewers
def city_forecast_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One city's forecast, as its officials see it, for reviewers."""
    participation = Participation.objects.select_related("programme", "city").filter(pk=pk).first()
    if participation is None:
        raise Http404()
    view = city_forecast(
        participation=participation, fetched_by=request.user, today=timezone.localdate()
    )
    return _page(
        request,
        "reports/foresight/city_forecast.html",
        _("Forecast of %(city)s") % {"city": participation.city},
        view=view,
    )


# Draft rulesets and what they would do ------------------------------------------------------------


@_reviewers
@require_http_methods(["GET", "POST"])
def draft_list(request: HttpRequest) -> HttpResponseBase:
    """The programme's drafts and their comparisons; POST makes a new draft from the current
    ruleset."""
    programme = _programme(request)
    if request.method == "POST":
        draft = drafts.ruleset_draft_create(programme=programme, by=_user(request))
        messages.success(
            request,
            _("Draft %(draft)s made from the current ruleset: change it, then compare it.")
            % {"draft": draft.label},
        )
        return redirect("reports_admin:draft", pk=draft.pk)
    found = list(
        Ruleset.objects.filter(programme=programme, is_draft=True)
        .select_related("created_by")
        .order_by("-version")
    )
    comparisons = list(
        DraftComparison.objects.filter(draft__programme=programme)
        .select_related("draft", "published", "requested_by")
        .order_by("-requested_at", "-id")[:50]
    )
    return _page(
        request,
        "reports/foresight/drafts.html",
        _("Draft rulesets of programme %(programme)s") % {"programme": programme.code},
        programme=programme,
        programmes=_programmes(),
        drafts=found,
        comparisons=comparisons,
    )


def _draft(pk: int) -> Ruleset:
    found = Ruleset.objects.select_related("programme").filter(pk=pk, is_draft=True).first()
    if found is None:
        raise Http404()
    return found


@_reviewers
@require_http_methods(["GET", "POST"])
def draft_page(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A draft's rules on one form: *Save*, *Compare with the published ruleset* (saving first)
    and, for administrators, *Publish*."""
    draft = _draft(pk)
    action = request.POST.get("action", "")
    form = DraftForm(request.POST or None, draft=draft)
    compare = CompareForm(
        request.POST or None, initial={"as_of": draft.programme.midterm_as_of}, prefix="compare"
    )
    if request.method == "POST" and action == "publish":
        try:
            published = drafts.ruleset_publish(draft=draft, by=_user(request))
        except Forbidden as exc:
            raise PermissionDenied(str(exc)) from None
        except WorkflowError as exc:
            for item in exc.errors:
                messages.error(request, str(item.reason))
            return redirect("reports_admin:draft", pk=draft.pk)
        messages.success(
            request,
            _("%(ruleset)s is published: it is the programme's current ruleset.")
            % {"ruleset": published.label},
        )
        return redirect(reverse("reports_admin:drafts") + f"?programme={published.programme.code}")
    if request.method == "POST" and form.is_valid():
        try:
            drafts.ruleset_draft_edit(draft=draft, by=_user(request), **form.edits())
        except WorkflowError as exc:
            form.add_refusal(exc)
        else:
            if action == "compare" and compare.is_valid():
                comparison = draft_comparison_request(
                    draft=draft, as_of=compare.cleaned_data["as_of"], by=request.user
                )
                return redirect("reports_admin:comparison", pk=comparison.pk)
            if action != "compare":
                messages.success(request, _("The draft is saved."))
                return redirect("reports_admin:draft", pk=draft.pk)
    return _page(
        request,
        "reports/foresight/draft.html",
        _("Draft ruleset %(draft)s") % {"draft": draft.label},
        draft=draft,
        form=form,
        compare=compare,
        may_publish=is_administrator(request.user),
        comparisons=list(
            DraftComparison.objects.filter(draft=draft).order_by("-requested_at", "-id")[:10]
        ),
    )


@_reviewers
def comparison_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A comparison: while it is computed the page refreshes itself; then every city under
    both rulesets, who changes tier, the total release before and after, and the documents."""
    comparison = comparison_get(pk=pk, fetched_by=request.user)
    ready = comparison.status == DraftComparison.Status.READY
    documents = {
        (d.kind, d.language): d for d in ComparisonDocument.objects.filter(comparison=comparison)
    }
    return _page(
        request,
        "reports/foresight/comparison.html",
        _("What draft %(draft)s would change") % {"draft": comparison.draft.label},
        comparison=comparison,
        view=comparison_view(comparison) if ready else None,
        failed=comparison.status == DraftComparison.Status.FAILED,
        # Refreshed while the comparison is computed and while its documents are built.
        refresh=comparison.status in (DraftComparison.Status.QUEUED, DraftComparison.Status.RUNNING)
        or (ready and len(documents) < len(ComparisonDocument.Kind) * len(Language)),
        documents=[
            (kind, language, documents.get((kind.value, language.value)))
            for kind in ComparisonDocument.Kind
            for language in Language
        ],
    )


@_reviewers
def comparison_document(
    request: HttpRequest, pk: int, kind: str, language: str
) -> HttpResponseBase:
    comparison = comparison_get(pk=pk, fetched_by=request.user)
    document = ComparisonDocument.objects.filter(
        comparison=comparison, kind=kind, language=language
    ).first()
    if document is None:
        raise Http404()
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=(
            f"{comparison.draft.programme.code}-draft-comparison-{comparison.pk}-{language}.{kind}"
        ),
    )
    response["X-Document-SHA256"] = document.sha256
    return response


# Rectification ----------------------------------------------------------------------------------


@_reviewers
def rectification_list(request: HttpRequest) -> HttpResponse:
    """The programme's rectification: the items still open (``?status=`` one state, or
    ``all``), the overdue first, and each city's count per state."""
    programme = _programme(request)
    status = request.GET.get("status", "")
    found = programme_rectification(
        programme=programme, fetched_by=request.user, today=timezone.localdate(), status=status
    )
    return _page(
        request,
        "reports/foresight/rectification.html",
        _("Rectification in programme %(programme)s") % {"programme": programme.code},
        view=found,
        status=status,
        programmes=_programmes(),
    )


@_reviewers
@require_http_methods(["GET", "POST"])
def rectification_page(request: HttpRequest, pk: int) -> HttpResponseBase:
    """One item: the shortfall, the city's answer and evidence, its history; *Accept* or
    *Return to the city…* (comment required) while it awaits review."""
    row = rectification_item(pk=pk, fetched_by=request.user, today=timezone.localdate())
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action", "")
        try:
            if action == "accept":
                rectification.rectification_accept(item=row.item, by=_user(request))
                messages.success(request, _("The answer is accepted: the item is closed."))
            elif action == "return":
                rectification.rectification_return(
                    item=row.item, comment=form.cleaned_data["comment"], by=_user(request)
                )
                messages.success(request, _("The item is returned to the city."))
            else:
                raise Http404()
        except Locked as exc:
            messages.error(request, str(exc.errors[0].reason))
        except WorkflowError as exc:
            for item in exc.errors:
                form.add_error("comment" if item.field == "comment" else None, str(item.reason))
            return _item_page(request, row.item.pk, form)
        return redirect("reports_admin:rectification_item", pk=row.item.pk)
    return _item_page(request, row.item.pk, form)


def _item_page(request: HttpRequest, pk: int, form: ReviewForm) -> TemplateResponse:
    row = rectification_item(pk=pk, fetched_by=request.user, today=timezone.localdate())
    return _page(
        request,
        "reports/foresight/rectification_item.html",
        _("Rectification item of %(city)s") % {"city": row.city},
        row=row,
        form=form,
        history=item_history(item=row.item),
    )


@_reviewers
def rectification_evidence(request: HttpRequest, pk: int) -> HttpResponseBase:
    item: RectificationItem | None = rectification_items_for(request.user).filter(pk=pk).first()
    if item is None or not item.evidence_file:
        raise Http404()
    response = FileResponse(
        item.evidence_file.open("rb"), as_attachment=True, filename=item.evidence_name
    )
    response["X-Evidence-SHA256"] = item.evidence_sha256
    return response
