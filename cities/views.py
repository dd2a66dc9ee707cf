"""The city officials' portal: thin views. Reads come from ``cities.selectors`` (an official
reaches only their own cities: anything else is 404), writes go through the reporting service,
the same one the API calls."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.cache import caches
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cities import selectors
from cities.excel import template_workbook
from cities.forms import PeriodForm, UploadForm, check_value
from evaluation import vocabulary
from evaluation.exceptions import (
    Forbidden,
    ImportRefused,
    NotFound,
    RowError,
    StaleVersion,
    WorkflowError,
)
from evaluation.models import MetricValue, Participation
from evaluation.scoring import Period, PeriodError
from evaluation.selectors import ruleset_current
from evaluation.services import reporting
from evaluation.services.notices import official_language_remember
from evaluation.tabular import upload_limits, upload_read

View = Callable[..., HttpResponse]


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def for_city(view: View) -> View:
    """Signed-in officials only; ``pk`` must be one of their own cities (else 404)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
        participation = next((p for p in _my_cities(request) if p.pk == pk), None)
        if participation is None:
            raise Http404()
        _remember_language(request)
        return view(request, participation, *args, **kwargs)

    return wrapped


def _remember_language(request: HttpRequest) -> None:
    """The official's emails go out in the language they use the portal in (recorded once per
    change of language, not on every page)."""
    language = getattr(request, "LANGUAGE_CODE", "") or get_language() or ""
    if request.user.is_authenticated and request.session.get("portal_language") != language:
        official_language_remember(user_id=request.user.pk, language=language)
        request.session["portal_language"] = language


def _my_cities(request: HttpRequest) -> list[Participation]:
    """The official's cities, read once per request (the header lists them, and the city asked
    for must be one of them)."""
    if not hasattr(request, "_portal_cities"):
        request._portal_cities = selectors.official_participations(  # type: ignore[attr-defined]
            fetched_by=request.user
        )
    return cast(list[Participation], request._portal_cities)  # type: ignore[attr-defined]


def _context(request: HttpRequest, participation: Participation | None, **extra: Any) -> Any:
    return {"participation": participation, "my_cities": _my_cities(request), **extra}


class SignInView(auth_views.LoginView):
    template_name = "cities/sign_in.html"
    redirect_authenticated_user = True


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """An official lands on their (first) city; one with no city is told so."""
    cities = _my_cities(request)
    if len(cities) >= 1:
        return redirect("cities:dashboard", pk=cities[0].pk)
    return render(request, "cities/no_city.html", _context(request, None))


@login_required
def dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    """Where the city stands. Drawn again only when something it shows has changed
    (``selectors.dashboard_version``: one query, which also checks the official's right to the
    city on every request) or the day or language differ; otherwise it comes from the cache,
    so fifty officials reading it at once cost little more than a bare page
    (docs/benchmarks.md). A page carrying messages, or asked for with a query string (which
    would let anyone fill the cache with copies), is drawn and not kept. The page is kept with
    a random word, drawn with it, where the CSRF token goes; each visitor's own is put there."""
    try:
        version = selectors.dashboard_version(fetched_by=request.user, pk=pk)
    except NotFound:
        raise Http404() from None
    _remember_language(request)
    today = timezone.localdate()
    key = ":".join(
        (
            "portal:dashboard",
            str(request.user.pk),
            str(pk),
            get_language() or "",
            today.isoformat(),
            version,
        )
    )
    keep = not request.GET and not messages.get_messages(request)
    kept = caches["pages"].get(key) if keep else None
    if kept is None:
        slot = secrets.token_hex(16)
        kept = (slot, _dashboard_page(request, pk, today, csrf_slot=slot))
        if keep:
            caches["pages"].set(key, kept)
    slot, page = kept
    return HttpResponse(page.replace(slot, get_token(request)))


def _dashboard_page(request: HttpRequest, pk: int, today: dt.date, *, csrf_slot: str) -> str:
    participation = next((p for p in _my_cities(request) if p.pk == pk), None)
    if participation is None:
        raise Http404()
    standing = selectors.city_standing(
        participation=participation, fetched_by=request.user, today=today
    )
    charts = {
        row.code: {
            "labels": [p.label for p in row.chart],
            "actual": [None if p.actual is None else float(p.actual) for p in row.chart],
            "path": [None if p.path is None else float(p.path) for p in row.chart],
            "whole": row.places == 0,
        }
        for row in standing.indicators
    }
    return render_to_string(
        "cities/dashboard.html",
        _context(
            request,
            participation,
            standing=standing,
            charts=charts,
            chart_words={"actual": _("approved"), "path": _("path to the target")},
            nav="dashboard",
            csrf_token=csrf_slot,
        ),
        request=request,
    )


@for_city
def periods(request: HttpRequest, participation: Participation) -> HttpResponse:
    rows = selectors.city_periods(
        participation=participation, fetched_by=request.user, today=timezone.localdate()
    )
    return render(
        request,
        "cities/periods.html",
        _context(request, participation, rows=rows, nav="periods"),
    )


def _period(label: str) -> Period:
    try:
        return Period.parse(label)
    except PeriodError:
        raise Http404() from None


def _field_errors(form: PeriodForm, error: WorkflowError) -> None:
    for item in error.errors:
        code = (item.field or "").removeprefix("values.")
        form.add_error(code if code in form.fields else None, item.reason)


@for_city
@require_http_methods(["GET", "POST"])
def period_entry(request: HttpRequest, participation: Participation, period: str) -> HttpResponse:
    """Every indicator on one form beside the same period a year earlier; save as draft, or
    submit. A stale form (someone saved meanwhile) says so and keeps what was typed."""
    chosen = _period(period)
    try:
        entry = selectors.period_entry(
            participation=participation, period=chosen, fetched_by=request.user
        )
    except NotFound:
        raise Http404() from None
    version = entry.report.version if entry.report is not None else 0
    form = PeriodForm(
        request.POST or None,
        rows=entry.rows,
        editable=entry.editable,
        initial={"version": version},
    )
    if request.method == "POST" and entry.editable and form.is_valid():
        action = request.POST.get("action", "save")
        user = _user(request)
        posted_version = form.cleaned_data.get("version") or 0
        try:
            with transaction.atomic():
                report = reporting.report_create(
                    participation=participation, period=chosen, by=user
                )
                typed = form.typed_values()
                if typed:
                    report = reporting.report_values_set(
                        report=report,
                        values=typed,
                        version=posted_version or report.version,
                        by=user,
                    )
                if action == "submit":
                    report = reporting.report_submit(report=report, version=None, by=user)
        except StaleVersion:
            messages.warning(
                request,
                _(
                    "Someone else saved this report while you were editing it. Your figures are "
                    "kept below, beside the saved ones: check them and save again."
                ),
            )
            entry = selectors.period_entry(
                participation=participation, period=chosen, fetched_by=request.user
            )
            data = request.POST.copy()
            data["version"] = str(entry.report.version if entry.report else 0)
            form = PeriodForm(data, rows=entry.rows, editable=entry.editable)
            form.is_valid()
            return render(
                request,
                "cities/period_entry.html",
                _context(request, participation, entry=entry, form=form, stale=True),
                status=409,
            )
        except (WorkflowError, Forbidden) as error:
            if isinstance(error, WorkflowError):
                _field_errors(form, error)
            else:
                form.add_error(None, str(error))
        else:
            if action == "submit":
                messages.success(
                    request, _("Submitted for review: %(period)s.") % {"period": chosen}
                )
                return redirect("cities:periods", pk=participation.pk)
            messages.success(request, _("Saved as a draft: %(period)s.") % {"period": chosen})
            return redirect("cities:period", pk=participation.pk, period=chosen.label)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "cities/period_entry.html",
        _context(request, participation, entry=entry, form=form, nav="periods"),
        status=status,
    )


@for_city
@require_POST
def check_field(request: HttpRequest, participation: Participation, period: str) -> HttpResponse:
    """Inline validation as the official types (htmx): the same rule as the files and API."""
    chosen = _period(period)
    field = request.POST.get("field", "")
    rows = {
        rule.indicator.code: rule.indicator.decimal_places
        for rule in ruleset_current(programme=participation.programme).rules.select_related(
            "indicator"
        )
    }
    del chosen
    if field not in rows:
        raise Http404()
    try:
        check_value(request.POST.get(field, ""), places=rows[field])
    except ValueError as exc:
        message = str(exc)
    else:
        message = ""
    return render(request, "cities/_field_message.html", {"message": message, "field": field})


def _owed_periods(participation: Participation, request: HttpRequest) -> list[Period]:
    only = request.GET.get("period")
    rows = selectors.city_periods(
        participation=participation, fetched_by=request.user, today=timezone.localdate()
    )
    owed = [Period.parse(row.period) for row in rows if row.fillable]
    if only:
        owed = [p for p in owed if p.label == only]
    return sorted(owed)


@for_city
def excel_template(request: HttpRequest, participation: Participation) -> HttpResponse:
    """A workbook of the periods still to report (or ``?period=``), every indicator."""
    chosen = _owed_periods(participation, request)
    rules = list(
        ruleset_current(programme=participation.programme)
        .rules.select_related("indicator")
        .order_by("indicator__position")
    )
    values = {
        (v.period, v.indicator_id): v
        for v in MetricValue.objects.filter(
            city_id=participation.city_id, year__in={p.year for p in chosen}
        )
        if v.period in set(chosen)
    }
    data = template_workbook(
        participation=participation,
        periods=chosen,
        indicators=[rule.indicator for rule in rules],
        values=values,
        chinese=not (get_language() or "").startswith("en"),
    )
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"{participation.city.code}-{participation.programme.code}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class _DryRun(Exception):
    def __init__(self, outcome: dict[str, int]) -> None:
        self.outcome = outcome


def _snapshot(participation: Participation) -> dict[tuple[str, str], Decimal]:
    return {
        (v.period.label, v.indicator.code): v.value
        for v in MetricValue.objects.filter(city_id=participation.city_id).select_related(
            "indicator"
        )
    }


SESSION_KEY = "portal_upload"


@for_city
@require_http_methods(["GET", "POST"])
def excel_upload(request: HttpRequest, participation: Participation) -> HttpResponse:
    """Upload a filled template (or a CSV): first a preview of what would change and every bad
    row, from the very import the API runs, rolled back; then, confirmed, the same load for
    real, all or nothing."""
    user = _user(request)
    context = _context(request, participation, nav="excel")
    form = UploadForm()
    if request.method == "POST" and request.POST.get("action") == "load":
        kept = request.session.get(SESSION_KEY)
        if not kept or kept.get("participation") != participation.pk:
            messages.error(request, _("Upload the file again: the preview has expired."))
            return redirect("cities:excel", pk=participation.pk)
        data = base64.b64decode(kept["data"])
        try:
            outcome = reporting.reports_upload(
                participation=participation,
                name=kept["name"],
                data=data,
                by=user,
                limits=upload_limits("portal"),
            )
        except ImportRefused as refused:
            context.update(_refusal(refused), form=form)
            return render(request, "cities/excel.html", context, status=400)
        del request.session[SESSION_KEY]
        messages.success(
            request,
            _("Loaded %(rows)d figures into %(reports)d draft reports; submit each period.")
            % {"rows": outcome["rows"], "reports": outcome["reports"]},
        )
        return redirect("cities:periods", pk=participation.pk)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            limits = upload_limits("portal")
            before = _snapshot(participation)
            try:
                data = upload_read(upload, limits=limits)
                with transaction.atomic():
                    outcome = reporting.reports_upload(
                        participation=participation,
                        name=upload.name,
                        data=data,
                        by=user,
                        limits=limits,
                    )
                    after = _snapshot(participation)
                    raise _DryRun(outcome)
            except ImportRefused as refused:
                context.update(_refusal(refused), form=form, name=upload.name)
                return render(request, "cities/excel.html", context, status=400)
            except _DryRun as dry:
                outcome = dry.outcome
            changes = [
                {"period": key[0], "indicator": key[1], "old": before.get(key), "new": value}
                for key, value in sorted(after.items())
                if before.get(key) != value
            ]
            words = _indicator_words(participation)
            for change in changes:
                change["name"], change["unit"] = words.get(
                    str(change["indicator"]), (change["indicator"], "")
                )
            request.session[SESSION_KEY] = {
                "participation": participation.pk,
                "name": upload.name,
                "data": base64.b64encode(data).decode("ascii"),
            }
            context.update(preview=changes, outcome=outcome, name=upload.name, form=form)
            return render(request, "cities/excel.html", context)
    context.update(form=form)
    return render(request, "cities/excel.html", context)


def _indicator_words(participation: Participation) -> dict[str, tuple[str, str]]:
    """Each indicator's name and unit in the active language."""
    return {
        rule.indicator.code: (
            vocabulary.indicator_name(rule.indicator),
            vocabulary.indicator_unit(rule.indicator),
        )
        for rule in ruleset_current(programme=participation.programme).rules.select_related(
            "indicator"
        )
    }


COLUMN_WORDS = {
    "city_code": "城市代码",
    "period": "期间",
    "indicator": "指标代码",
    "value": "数值",
}


def _refusal(refused: ImportRefused) -> dict[str, Any]:
    """A refused file's rows as the page lists them, how many errors in all, and the errors
    not listed."""
    return {
        "errors": _rows(refused.errors),
        "error_count": len(refused.errors) + refused.more,
        "more": refused.more_text(),
    }


def _rows(errors: list[RowError]) -> list[dict[str, Any]]:
    english = (get_language() or "").startswith("en")
    return [
        {
            "line": error.line,
            "column": error.column
            if english
            else COLUMN_WORDS.get(error.column or "", error.column),
            "reason": error.reason,
        }
        for error in errors
    ]


@for_city
def history(request: HttpRequest, participation: Participation) -> HttpResponse:
    rows, comments = selectors.value_history(participation=participation, fetched_by=request.user)
    return render(
        request,
        "cities/history.html",
        _context(request, participation, rows=rows, comments=comments, nav="history"),
    )
