"""The reports' pages and downloads: thin. Who may see what is the selectors' call
(``NotFound`` → 404, ``Forbidden`` → 403); building documents is the documents service's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from evaluation.access import Forbidden, NotFound, is_reviewer
from evaluation.models import EvaluationRun
from evaluation.vocabulary import Grade
from reports import charts, documents, rendering, selectors
from reports.models import AmountUnit, Document

View = Callable[..., HttpResponseBase]


def _language(request: HttpRequest) -> str:
    """``?lang=en`` or ``?lang=zh-hans`` if given, else the active language."""
    return documents.document_language(request.GET.get("lang") or translation.get_language())


def _page(view: View) -> View:
    """Signed-out visitors go to sign in; refusals become 404 or 403; the page is rendered in
    the language asked for."""

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            with translation.override(_language(request)):
                return view(request, *args, **kwargs)
        except NotFound:
            raise Http404() from None
        except Forbidden as exc:
            # The site's 403 page (config/templates/403.html), saying why.
            raise PermissionDenied(str(exc)) from None

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _unit(request: HttpRequest) -> str:
    """``?unit=wan`` for amounts in 10,000 yuan; yuan otherwise."""
    return AmountUnit.WAN if request.GET.get("unit") == AmountUnit.WAN else AmountUnit.YUAN


def _queries(request: HttpRequest) -> dict[str, str]:
    """The page's own query string with each language and each unit of amounts, for the
    links that switch them."""
    out = {}
    for key, name, value in (
        ("query_zh", "lang", "zh-hans"),
        ("query_en", "lang", "en"),
        ("query_yuan", "unit", AmountUnit.YUAN),
        ("query_wan", "unit", AmountUnit.WAN),
    ):
        query = request.GET.copy()
        query[name] = value
        out[key] = query.urlencode()
    return out


def _suffix(request: HttpRequest, **more: object) -> str:
    """The query string a page's downloads carry: its language and unit (and ``more``)."""
    query = {"lang": _language(request), "unit": _unit(request), **more}
    return "?" + urlencode({k: v for k, v in query.items() if v not in (None, "")})


def _home(request: HttpRequest, participation_id: int | None) -> dict[str, str]:
    """Where a page's way back leads: the reviewers' admin for a reviewer; for a city's
    official, their city on the portal (the officials never see the admin)."""
    if is_reviewer(request.user) or participation_id is None:
        return {"home_url": reverse("admin:index"), "home_label": _("Reviewers' admin")}
    return {
        "home_url": reverse("cities:dashboard", args=[participation_id]),
        "home_label": _("Back to the portal"),
    }


def _download(request: HttpRequest, document: Document) -> HttpResponseBase:
    if document.status != Document.Status.READY:
        return redirect(reverse("reports:document", args=[document.pk]))
    extension = document.file.name.rsplit(".", 1)[-1]
    response = FileResponse(
        document.file.open("rb"),
        content_type=documents.document_content_type(document),
        as_attachment=True,
        filename=f"{_download_name(document)}.{extension}",
    )
    response["X-Document-SHA256"] = document.sha256
    return response


def _download_name(document: Document) -> str:
    run = document.run
    parts = [run.programme.code, f"run{run.pk}", document.kind]
    if document.participation is not None:
        parts.append(document.participation.city.code)
    return "-".join(parts)


def _since(request: HttpRequest, run: EvaluationRun) -> EvaluationRun | None:
    value = request.GET.get("since", "")
    if not value.isdigit():
        return None
    return selectors.runs_earlier(run=run).filter(pk=int(value)).first()


@_page
def scorecard(request: HttpRequest, run_id: int, city_code: str) -> HttpResponseBase:
    result = selectors.scorecard_get(run_id=run_id, city_code=city_code, fetched_by=request.user)
    # Experts are named to reviewers only; a city reads their scores anonymously.
    context = rendering.scorecard_context(
        result, unit=_unit(request), name_experts=is_reviewer(request.user)
    )
    context |= {
        "is_reviewer": is_reviewer(request.user),
        "pdf_url": reverse("reports:scorecard_pdf", args=[run_id, city_code]) + _suffix(request),
        **_home(request, result.participation_id),
        **_queries(request),
    }
    return render(request, "reports/scorecard.html", context)


@_page
def scorecard_pdf(request: HttpRequest, run_id: int, city_code: str) -> HttpResponseBase:
    result = selectors.scorecard_get(run_id=run_id, city_code=city_code, fetched_by=request.user)
    document = documents.document_request(
        run=result.run,
        kind=Document.Kind.SCORECARD,
        language=_language(request),
        participation=result.participation,
        unit=_unit(request),
        by=request.user,
    )
    return _download(request, document)


@_page
def ranking(request: HttpRequest, run_id: int) -> HttpResponseBase:
    run = selectors.run_for_reviewer(run_id=run_id, fetched_by=request.user)
    since = _since(request, run)
    context = rendering.ranking_context(
        selectors.ranking_get(run=run, since=since), unit=_unit(request)
    )
    lang = _language(request)
    suffix = _suffix(request, since=since.pk if since else None)
    context |= {
        "earlier_runs": selectors.runs_earlier(run=run),
        "pdf_url": reverse("reports:ranking_pdf", args=[run.pk]) + suffix,
        "xlsx_url": reverse("reports:ranking_xlsx", args=[run.pk]) + suffix,
        "record_url": (
            reverse("reports:decision_record", args=[run.pk]) + _suffix(request)
            if run.finalised_at
            else ""
        ),
        "bundle_suffix": _suffix(request),
        # Each city's scorecard is a document too; they are opened from the table above.
        "documents": Document.objects.filter(run=run).exclude(kind=Document.Kind.SCORECARD),
        "lang": lang,
        **_queries(request),
    }
    return render(request, "reports/ranking.html", context)


def _ranking_document(request: HttpRequest, run_id: int, kind: str) -> HttpResponseBase:
    run = selectors.run_for_reviewer(run_id=run_id, fetched_by=request.user)
    document = documents.document_request(
        run=run,
        kind=kind,
        language=_language(request),
        compared_with=_since(request, run),
        unit=_unit(request),
        by=request.user,
    )
    return _download(request, document)


@_page
def ranking_pdf(request: HttpRequest, run_id: int) -> HttpResponseBase:
    return _ranking_document(request, run_id, Document.Kind.RANKING_PDF)


@_page
def ranking_xlsx(request: HttpRequest, run_id: int) -> HttpResponseBase:
    return _ranking_document(request, run_id, Document.Kind.RANKING_XLSX)


@_page
def decision_record(request: HttpRequest, run_id: int) -> HttpResponseBase:
    run = selectors.run_for_reviewer(run_id=run_id, fetched_by=request.user)
    try:
        document = documents.document_request(
            run=run,
            kind=Document.Kind.DECISION_RECORD,
            language=_language(request),
            unit=_unit(request),
            by=request.user,
        )
    except documents.DocumentRefused:
        raise NotFound() from None
    return _download(request, document)


@_page
def dossier(request: HttpRequest, run_id: int) -> HttpResponseBase:
    """The evaluation dossier of a finalised run (reviewers only), kept once built."""
    run = selectors.run_for_dossier(run_id=run_id, fetched_by=request.user)
    document = documents.document_request(
        run=run, kind=Document.Kind.DOSSIER, language=_language(request), by=request.user
    )
    return _download(request, document)


@require_POST
@_page
def scorecards_bundle(request: HttpRequest, run_id: int) -> HttpResponseBase:
    """Ask for every city's scorecard in one ZIP: built by a task, its progress shown."""
    run = selectors.run_for_reviewer(run_id=run_id, fetched_by=request.user)
    document = documents.document_request(
        run=run,
        kind=Document.Kind.SCORECARDS,
        language=_language(request),
        unit=_unit(request),
        by=request.user,
    )
    return redirect(reverse("reports:document", args=[document.pk]))


@_page
def document(request: HttpRequest, document_id: int) -> HttpResponseBase:
    """A kept document: its progress while it is built, then the file."""
    kept = selectors.document_get(document_id=document_id, fetched_by=request.user)
    if kept.status == Document.Status.READY and request.GET.get("download") != "0":
        return _download(request, kept)
    context = {
        "document": kept,
        "refresh": 2 if kept.status in (Document.Status.QUEUED, Document.Status.BUILDING) else 0,
        **rendering.run_identity(kept.run),
        **_home(request, kept.participation_id),
        **_queries(request),
    }
    return render(request, "reports/document.html", context)


@_page
def dashboard(request: HttpRequest, programme_id: int) -> HttpResponseBase:
    programme = selectors.programme_for_reviewer(programme_id=programme_id, fetched_by=request.user)
    board = selectors.dashboard_get(
        programme=programme, today=timezone.localdate(), fetched_by=request.user
    )
    grades = [(g, str(Grade(g).label), n) for g, n in board.grades]
    context: dict[str, Any] = {
        "board": board,
        "grades": grades,
        "grade_chart": charts.grade_bars(grades, title=_("Cities per grade")),
        "score_chart": charts.score_histogram(
            board.scores,
            title=_("Distribution of total scores"),
            xlabel=_("total score"),
            ylabel=_("number of cities"),
        ),
        "trend_chart": (
            charts.trend_line(
                [(f"#{t.run.pk}", t.average) for t in board.trends],
                title=_("Average score of each run"),
                ylabel=_("average score"),
            )
            if board.trends
            else ""
        ),
        **_queries(request),
    }
    return render(request, "reports/dashboard.html", context)


@_page
def self_evaluation_pdf(request: HttpRequest, self_evaluation_id: int) -> HttpResponseBase:
    """The city's self-evaluation as a document in Chinese, to print and stamp: for the city's
    officials, its province's reviewers and the ministry's (anyone else: 404)."""
    from django.http import HttpResponse

    from evaluation.self_evaluations import self_evaluation_get, self_evaluation_view

    item = self_evaluation_get(pk=self_evaluation_id, fetched_by=request.user)
    with translation.override("zh-hans"):
        view = self_evaluation_view(self_evaluation=item, fetched_by=request.user)
        body = rendering.pdf(
            "reports/self_evaluation.html",
            {"view": view, "footer": f"{view.city_name} {item.as_of.isoformat()}"},
        )
    response = HttpResponse(body, content_type="application/pdf")
    name = f"self-evaluation-{item.participation.city.code}-{item.as_of.isoformat()}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
