"""Building the kept documents of a run. Asking for a document finds the one already made (the
database holds one per run, kind, language, unit of amounts, city and comparison run); a new one
is built in the request for a small programme, or by a Celery task for a large one and for the
bundle of every city's scorecard, whose progress the document's page shows."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from evaluation.exceptions import Unavailable
from evaluation.models import EvaluationRun, Participation, TrancheDecision
from reports import dossier, rendering, selectors
from reports.models import AmountUnit, Document, Language
from reports.verification import run_figures

logger = logging.getLogger(__name__)

BACKGROUND_KINDS = {Document.Kind.SCORECARDS}
FILE_TYPES = {
    Document.Kind.SCORECARD: ("pdf", "application/pdf"),
    Document.Kind.RANKING_PDF: ("pdf", "application/pdf"),
    Document.Kind.RANKING_XLSX: ("xlsx", rendering.XLSX),
    Document.Kind.DECISION_RECORD: ("pdf", "application/pdf"),
    Document.Kind.SCORECARDS: ("zip", "application/zip"),
    Document.Kind.DOSSIER: ("zip", "application/zip"),
}


class DocumentRefused(Unavailable):
    """The run cannot have this document (not finished; a decision record before sign-off)."""


def document_language(language: str | None) -> str:
    """The document language for an active language: English if asked for, else Chinese."""
    return Language.EN if (language or "").startswith("en") else Language.ZH_HANS


def document_request(
    *,
    run: EvaluationRun,
    kind: str,
    language: str,
    participation: Participation | None = None,
    compared_with: EvaluationRun | None = None,
    unit: str = AmountUnit.YUAN,
    by: User | AnonymousUser | None,
) -> Document:
    """The document, built or on its way, its amounts in ``unit`` (yuan or 10,000 yuan).
    Asking again returns the same document; one that failed is tried again."""
    if run.status != EvaluationRun.Status.SUCCEEDED:
        raise DocumentRefused(_("only a finished run has documents"))
    if kind == Document.Kind.DECISION_RECORD and (
        run.kind != EvaluationRun.Kind.OFFICIAL or run.finalised_at is None
    ):
        raise DocumentRefused(
            _("a decision record is made once every decision of an official run is signed off")
        )
    if kind == Document.Kind.DOSSIER and (
        run.kind != EvaluationRun.Kind.OFFICIAL or run.finalised_at is None
    ):
        raise DocumentRefused(
            _("an evaluation dossier is made once every decision of an official run is signed off")
        )
    if compared_with is not None and compared_with.programme_id != run.programme_id:
        raise DocumentRefused(_("a ranking compares runs of one programme"))
    requested_by = by if isinstance(by, User) else None
    lookup = {
        "run": run,
        "kind": kind,
        "language": document_language(language),
        "unit": unit if unit in AmountUnit.values else AmountUnit.YUAN,
        "participation": participation,
        "compared_with": compared_with,
    }
    total = (run.cities_total or 1) if kind in BACKGROUND_KINDS else 1
    try:
        with transaction.atomic():
            document, created = Document.objects.get_or_create(
                **lookup, defaults={"requested_by": requested_by, "progress_total": total}
            )
    except IntegrityError:
        # Someone asked for the same document at the same moment: theirs is ours.
        document, created = Document.objects.get(**lookup), False
    if not created and document.status == Document.Status.READY:
        if _up_to_date(document, _last_sign_off(run.pk)):
            return document
        Document.objects.filter(pk=document.pk, built_at=document.built_at).update(
            status=Document.Status.QUEUED, progress_done=0
        )
    elif not created and document.status != Document.Status.FAILED:
        return document
    elif not created:
        Document.objects.filter(pk=document.pk, status=Document.Status.FAILED).update(
            status=Document.Status.QUEUED, error="", progress_done=0
        )
    if kind in BACKGROUND_KINDS or (run.cities_total or 0) > settings.REPORTS_INLINE_CITIES:
        from reports.tasks import build_document

        transaction.on_commit(functools.partial(build_document.delay, document.pk))
        document.refresh_from_db()
        return document
    return document_build(document_id=document.pk)


def _last_sign_off(run_id: int) -> dt.datetime | None:
    """When a decision of the run was last signed off (``None`` before any sign-off)."""
    last: dt.datetime | None = TrancheDecision.objects.filter(city_result__run_id=run_id).aggregate(
        last=Max("decided_at")
    )["last"]
    return last


def _up_to_date(document: Document, last_sign_off: dt.datetime | None) -> bool:
    """A run's results never change, but its decisions are signed off after it: a document
    built before the last sign-off shows "awaiting sign-off" where the run now has the
    confirmed or overridden amount, so it is built again (once: then it is newer)."""
    return document.status == Document.Status.READY and (
        last_sign_off is None
        or (document.built_at is not None and document.built_at >= last_sign_off)
    )


def _claim(document_id: int, last_sign_off: dt.datetime | bool | None = False) -> Document | None:
    """The document, marked as being built; ``None`` if it is already built and up to date
    (``last_sign_off`` given by a caller that has read it already, else read here)."""
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        if last_sign_off is False:
            last_sign_off = _last_sign_off(document.run_id)
        if _up_to_date(document, last_sign_off):  # type: ignore[arg-type]
            return None
        document.status = Document.Status.BUILDING
        document.progress_done = 0
        document.save(update_fields=["status", "progress_done"])
    return document


def _content(document: Document) -> bytes:
    run = EvaluationRun.objects.select_related("programme", "ruleset", "triggered_by").get(
        pk=document.run_id
    )
    if document.kind == Document.Kind.SCORECARD:
        result = (
            selectors.city_result_full(run=run, participation_id=document.participation_id)
            if document.participation_id is not None
            else None
        )
        if result is None:
            raise DocumentRefused(_("the city was not scored in this run"))
        return rendering.scorecard_pdf(result, unit=document.unit)
    if document.kind in (Document.Kind.RANKING_PDF, Document.Kind.RANKING_XLSX):
        since = (
            EvaluationRun.objects.get(pk=document.compared_with_id)
            if document.compared_with_id
            else None
        )
        ranking = selectors.ranking_get(run=run, since=since)
        if document.kind == Document.Kind.RANKING_PDF:
            return rendering.ranking_pdf(ranking, unit=document.unit)
        return rendering.ranking_xlsx(ranking, unit=document.unit)
    if document.kind == Document.Kind.DECISION_RECORD:
        return rendering.decision_record_pdf(
            run, selectors.decision_record_get(run=run), unit=document.unit
        )
    if document.kind == Document.Kind.DOSSIER:
        return dossier.dossier_zip(run, language=document.language)

    return _scorecards(document, run)


def _scorecards(bundle: Document, run: EvaluationRun) -> bytes:
    """Every city's scorecard, each kept as its own document too (so the ZIP holds exactly the
    files a scorecard download gives), the bundle's progress counted as they are made."""
    results = selectors.run_results_full(run=run)
    Document.objects.filter(pk=bundle.pk).update(progress_total=max(1, len(results)))
    fonts = rendering.font_configuration()
    last_sign_off = _last_sign_off(run.pk)
    files = []
    for done, result in enumerate(results, start=1):
        scorecard, _created = Document.objects.get_or_create(
            run=run,
            kind=Document.Kind.SCORECARD,
            language=bundle.language,
            unit=bundle.unit,
            participation=result.participation,
            compared_with=None,
            defaults={"requested_by": bundle.requested_by},
        )
        claimed = _claim(scorecard.pk, last_sign_off)
        if claimed is not None:
            scorecard = _store(
                claimed, rendering.scorecard_pdf(result, fonts=fonts, unit=bundle.unit)
            )
        with scorecard.file.open("rb") as kept:
            files.append((result.participation.city.code, kept.read()))
        Document.objects.filter(pk=bundle.pk).update(progress_done=done)
    return rendering.scorecards_zip(files)


def _file_name(document: Document) -> str:
    extension = FILE_TYPES[Document.Kind(document.kind)][0]
    parts = [document.kind, document.language]
    if document.unit != AmountUnit.YUAN:
        parts.append(document.unit)
    if document.participation is not None:
        parts.append(document.participation.city.code)
    if document.compared_with_id:
        parts.append(f"since-{document.compared_with_id}")
    return f"{'-'.join(parts)}.{extension}"


def document_build(*, document_id: int) -> Document:
    """Build the document if it is not built yet; safe to run twice (a built one is left
    alone). A document the run cannot have is recorded as failed; a database error is left to
    the task to retry."""
    document = _claim(document_id)
    if document is None:
        return Document.objects.get(pk=document_id)
    try:
        with translation.override(document.language):
            content = _content(document)
    except (DocumentRefused, selectors.NotFinalised) as exc:
        Document.objects.filter(pk=document.pk).update(
            status=Document.Status.FAILED, error=str(exc)
        )
        document.refresh_from_db()
        return document
    return _store(document, content)


def _store(document: Document, content: bytes) -> Document:
    """Keep the built file with its digest: the document is ready."""
    document.refresh_from_db()
    name = _file_name(document)
    if document.file:
        document.file.delete(save=False)
    document.file.save(name, ContentFile(content), save=False)
    document.sha256 = hashlib.sha256(content).hexdigest()
    document.figures = run_figures(
        run_id=document.run_id,
        participation_id=document.participation_id
        if document.kind == Document.Kind.SCORECARD
        else None,
    )
    document.status = Document.Status.READY
    document.progress_done = document.progress_total
    document.built_at = timezone.now()
    document.error = ""
    document.full_clean()
    document.save()
    logger.info("built %s (%d bytes)", document, len(content))
    return document


def document_content_type(document: Document) -> str:
    return FILE_TYPES[Document.Kind(document.kind)][1]
