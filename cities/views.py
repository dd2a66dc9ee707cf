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
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cities import selectors
from cities.excel import template_workbook
from cities.forms import PeriodForm, UploadForm, check_value
from cities.selectors import PeriodRow
from evaluation import vocabulary
from evaluation.access import is_checker, is_expert, reviewer_province
from evaluation.exceptions import (
    FileRefused,
    Forbidden,
    ImportRefused,
    NotFound,
    RowError,
    StaleVersion,
    WorkflowError,
)
from evaluation.models import MetricValue, Participation, Report
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
    if is_expert(request.user):
        return redirect("cities:panel")
    if reviewer_province(request.user) is not None:
        return redirect("cities:province")
    if is_checker(request.user):
        return redirect("cities:checks")
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
def results(request: HttpRequest, participation: Participation) -> HttpResponse:
    """Every evaluation result of the city the official may see, each with its scorecard (page
    and PDF)."""
    rows = selectors.city_results(participation=participation, fetched_by=request.user)
    return render(
        request,
        "cities/results.html",
        _context(request, participation, rows=rows, nav="results"),
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
    saving = request.method == "POST" and request.POST.get("action") != "answer"
    try:
        # A save reads the form alone; the page around it is read only if it is shown.
        entry = selectors.period_entry(
            participation=participation, period=chosen, fetched_by=request.user, shown=not saving
        )
    except NotFound:
        raise Http404() from None
    if request.method == "POST" and not saving:
        return _answer(request, participation, entry)
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
                # The period's report as the form read it; opened now if it had none.
                report = entry.report or reporting.report_create(
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
                _context(
                    request,
                    participation,
                    entry=entry,
                    form=form,
                    stale=True,
                    limits=_evidence_limits(),
                ),
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
    if saving:
        entry = selectors.period_entry(
            participation=participation, period=chosen, fetched_by=request.user
        )
    return render(
        request,
        "cities/period_entry.html",
        _context(
            request,
            participation,
            entry=entry,
            form=form,
            nav="periods",
            summary=_error_summary(form),
            limits=_evidence_limits(),
        ),
        status=status,
    )


def _evidence_limits() -> dict[str, str]:
    from django.conf import settings

    return {
        "file": f"{settings.EVIDENCE_MAX_FILE_MB:g}",
        "report": f"{settings.EVIDENCE_MAX_REPORT_MB:g}",
    }


def _error_summary(form: PeriodForm) -> list[dict[str, str]]:
    """Every error of a refused form, for the summary at the top of the page: the field's
    name and the reason, each linking to its field (the form's own errors first)."""
    if not form.is_bound or not form.errors:
        return []
    summary = [{"field": "", "label": "", "reason": str(e)} for e in form.non_field_errors()]
    for row in form.rows:
        for error in form.errors.get(row.code, []):
            summary.append({"field": f"id_{row.code}", "label": row.name, "reason": str(error)})
    return summary


def _answer(request: HttpRequest, participation: Participation, entry: Any) -> HttpResponse:
    """The official answers the reviewer's comment on the period's report."""
    if entry.report is None:
        raise Http404()
    try:
        reporting.report_comment_add(
            report=entry.report, text=request.POST.get("answer", ""), by=_user(request)
        )
    except WorkflowError as refused:
        for error in refused.errors:
            messages.error(request, error.reason)
    else:
        messages.success(request, _("Your answer is kept with the report for the reviewers."))
    return redirect(
        reverse("cities:period", args=[participation.pk, entry.period.label]) + "#answers"
    )


def _own_evidence(request: HttpRequest, participation: Participation, evidence_id: int) -> Any:
    """One of the city's files, as the official may read it (anything else: 404)."""
    from evaluation.selectors import evidence_for

    found = (
        evidence_for(request.user)
        .filter(pk=evidence_id, report__participation=participation)
        .first()
    )
    if found is None:
        raise Http404()
    return found


@for_city
@require_http_methods(["GET"])
def evidence_file(request: HttpRequest, participation: Participation, evidence_id: int) -> Any:
    """A file of evidence of the city's own reports."""
    from evaluation.evidence_files import evidence_response

    return evidence_response(_own_evidence(request, participation, evidence_id))


@for_city
@require_POST
def evidence_upload(request: HttpRequest, participation: Participation, period: str) -> Any:
    """Attach files to the period's report or to one of its values (the report is opened if
    it was not yet). A refused file says why and changes nothing."""
    from evaluation.services.evidence import evidence_attach

    chosen = _period(period)
    indicator = request.POST.get("indicator", "")
    files = request.FILES.getlist("file")
    anchor = f"#evidence-{indicator}" if indicator else "#evidence"
    back = reverse("cities:period", args=[participation.pk, chosen.label]) + anchor
    if not files:
        messages.error(request, _("Choose a file to attach."))
        return redirect(back)
    try:
        with transaction.atomic():
            report = reporting.report_create(
                participation=participation, period=chosen, by=_user(request)
            )
            for file in files:
                evidence_attach(
                    report=report, indicator=indicator or None, upload=file, by=_user(request)
                )
    except (WorkflowError, Forbidden) as error:
        reasons = (
            [e.reason for e in error.errors] if isinstance(error, WorkflowError) else [str(error)]
        )
        for reason in reasons:
            messages.error(request, _("Not attached: %(reason)s") % {"reason": reason})
    else:
        messages.success(
            request,
            _("Attached: %(names)s.") % {"names": ", ".join(f.name or "" for f in files)},
        )
    return redirect(back)


@for_city
@require_POST
def evidence_remove(request: HttpRequest, participation: Participation, evidence_id: int) -> Any:
    from evaluation.services.evidence import evidence_remove as remove

    evidence = _own_evidence(request, participation, evidence_id)
    try:
        remove(evidence=evidence, by=_user(request))
    except (WorkflowError, Forbidden) as error:
        reasons = (
            [e.reason for e in error.errors] if isinstance(error, WorkflowError) else [str(error)]
        )
        for reason in reasons:
            messages.error(request, _("Not removed: %(reason)s") % {"reason": reason})
    else:
        messages.success(request, _("Removed: %(name)s.") % {"name": evidence.name})
    return redirect(
        reverse("cities:period", args=[participation.pk, evidence.report.period.label])
        + "#evidence"
    )


@for_city
@require_POST
def check_field(request: HttpRequest, participation: Participation, period: str) -> HttpResponse:
    """Inline validation as the official types (htmx): the same rule as the files and API."""
    chosen = _period(period)
    field = request.POST.get("field", "")
    rows = {
        rule.indicator.code: rule.indicator.decimal_places
        for rule in ruleset_current(programme=participation.programme)
        .rules.reported()
        .select_related("indicator")
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


def _fillable(participation: Participation, request: HttpRequest) -> list[PeriodRow]:
    """The periods the official may still fill in, oldest first."""
    rows = selectors.city_periods(
        participation=participation, fetched_by=request.user, today=timezone.localdate()
    )
    return [row for row in reversed(rows) if row.fillable]


def _chosen_periods(request: HttpRequest) -> list[str]:
    return [label for label in request.GET.getlist("period") if label]


@for_city
def excel_template(request: HttpRequest, participation: Participation) -> HttpResponse:
    """A workbook of the periods the official chose (``?period=`` once or more) among those
    still to report; without a choice, of every one of them."""
    owed = [Period.parse(row.period) for row in _fillable(participation, request)]
    asked = _chosen_periods(request)
    chose = bool(asked or request.GET.get("choose"))
    chosen = [p for p in owed if p.label in asked] if chose else owed
    if chose and not chosen:
        messages.error(request, _("Choose at least one period for the template."))
        return redirect("cities:excel", pk=participation.pk)
    rules = list(
        ruleset_current(programme=participation.programme)
        .rules.reported()
        .select_related("indicator")
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
    def __init__(self, outcome: dict[str, Any]) -> None:
        self.outcome = outcome


def _snapshot(participation: Participation) -> dict[tuple[str, str], Decimal]:
    return {
        (v.period.label, v.indicator.code): v.value
        for v in MetricValue.objects.filter(city_id=participation.city_id).select_related(
            "indicator"
        )
    }


SESSION_KEY = "portal_upload"


def _excel_context(request: HttpRequest, participation: Participation, **extra: Any) -> Any:
    """The Excel page: the periods to choose for the template, by year, and what else it
    shows (a preview, the file's errors)."""
    years: dict[int, list[PeriodRow]] = {}
    for row in _fillable(participation, request):
        years.setdefault(int(row.period[:4]), []).append(row)
    return _context(
        request,
        participation,
        nav="excel",
        years=sorted(years.items()),
        chosen=_chosen_periods(request),
        **extra,
    )


def _refusal(context: dict[str, Any], refused: ImportRefused, name: str) -> None:
    """A file that cannot be read at all is said of the file; otherwise every bad row (the
    first ones, and how many errors in all)."""
    if isinstance(refused, FileRefused):
        context.update(file_error=refused.reason, name=name)
    else:
        context.update(
            errors=_rows(refused.errors),
            error_count=len(refused.errors) + refused.more,
            more=refused.more_text(),
            name=name,
        )


@for_city
@require_http_methods(["GET", "POST"])
def excel_upload(request: HttpRequest, participation: Participation) -> HttpResponse:
    """Upload a filled template (or a CSV): first a preview of what would change and every bad
    row, from the very import the API runs, rolled back; then, confirmed, the same load for
    real, all or nothing, and the offer to submit the complete reports it filled."""
    user = _user(request)
    form = UploadForm()
    context = _excel_context(request, participation, form=form)
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
            _refusal(context, refused, kept["name"])
            return render(request, "cities/excel.html", context, status=400)
        del request.session[SESSION_KEY]
        messages.success(
            request,
            _("Loaded %(rows)d figures into %(reports)d draft reports.")
            % {"rows": outcome["rows"], "reports": outcome["reports"]},
        )
        loaded = "&".join(f"period={label}" for label in cast(list[str], outcome["periods"]))
        return redirect(reverse("cities:submit", args=[participation.pk]) + f"?{loaded}")
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        context["form"] = form
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
                _refusal(context, refused, upload.name)
                return render(request, "cities/excel.html", context, status=400)
            except _DryRun as dry:
                outcome = dry.outcome
            request.session[SESSION_KEY] = {
                "participation": participation.pk,
                "name": upload.name,
                "data": base64.b64encode(data).decode("ascii"),
            }
            context.update(
                preview=_changes(participation, before, after),
                outcome=outcome,
                name=upload.name,
            )
            return render(request, "cities/excel.html", context)
    return render(request, "cities/excel.html", context)


def _changes(
    participation: Participation,
    before: dict[tuple[str, str], Decimal],
    after: dict[tuple[str, str], Decimal],
) -> list[dict[str, Any]]:
    """What a load would change, in the template's order (period by period, each indicator
    in the catalogue's order), each figure to its indicator's precision."""
    rules = ruleset_current(programme=participation.programme).rules.select_related("indicator")
    indicators = {rule.indicator.code: rule.indicator for rule in rules}
    changes = []
    for (period, code), value in after.items():
        if before.get((period, code)) == value:
            continue
        indicator = indicators.get(code)
        changes.append(
            {
                "period": period,
                "indicator": code,
                "name": vocabulary.indicator_name(indicator) if indicator else code,
                "unit": vocabulary.indicator_unit(indicator) if indicator else "",
                "places": indicator.decimal_places if indicator else 2,
                "position": indicator.position if indicator else 0,
                "old": before.get((period, code)),
                "new": value,
            }
        )
    changes.sort(key=lambda c: (Period.parse(str(c["period"])).end, c["period"], c["position"]))
    return changes


@for_city
@require_http_methods(["GET", "POST"])
def submit_reports(request: HttpRequest, participation: Participation) -> HttpResponse:
    """Submit several reports in one step (after an Excel load): every chosen one through the
    same service as the period's own form; each refusal is listed with its period, and the
    others go through."""
    asked = [label for label in request.GET.getlist("period") if label]
    try:
        periods = [Period.parse(label) for label in asked] or None
    except PeriodError:
        raise Http404() from None
    rows = selectors.reports_to_submit(
        participation=participation, fetched_by=request.user, periods=periods
    )
    context = _context(request, participation, rows=rows, nav="periods", refusals=[])
    if request.method == "GET":
        return render(request, "cities/submit.html", context)
    chosen = set(request.POST.getlist("report"))
    done, refusals = [], []
    for row in rows:
        if str(row.report_id) not in chosen:
            continue
        report = Report.objects.get(pk=row.report_id)
        try:
            reporting.report_submit(report=report, version=None, by=_user(request))
        except (WorkflowError, Forbidden) as error:
            reasons = [e.reason for e in error.errors] if isinstance(error, WorkflowError) else []
            refusals.append({"period": row.period, "reasons": reasons or [str(error)]})
        else:
            done.append(row.period)
    if done:
        messages.success(
            request,
            _("Submitted for review: %(periods)s.") % {"periods": ", ".join(done)},
        )
    if not refusals:
        if not done:
            messages.error(request, _("Choose at least one complete report to submit."))
            return redirect(request.get_full_path())
        return redirect("cities:periods", pk=participation.pk)
    context.update(
        rows=selectors.reports_to_submit(
            participation=participation, fetched_by=request.user, periods=periods
        ),
        refusals=refusals,
    )
    return render(request, "cities/submit.html", context, status=400)


COLUMN_WORDS = {
    "city_code": "城市代码",
    "period": "期间",
    "indicator": "指标代码",
    "value": "数值",
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
    """Each value's changes and why, and the words on the reports; ``?period=`` and
    ``?indicator=`` narrow it (each field of a period's form links here)."""
    label = request.GET.get("period", "")
    try:
        period = Period.parse(label) if label else None
    except PeriodError:
        period = None
    found = selectors.value_history(
        participation=participation,
        fetched_by=request.user,
        period=period,
        indicator=request.GET.get("indicator", ""),
    )
    return render(
        request,
        "cities/history.html",
        _context(request, participation, history=found, nav="history"),
    )
