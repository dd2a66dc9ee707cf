"""Documents made from a stored run. A run's results never change, so each document is built
once and kept: the database refuses a second one of the same run, kind, language, unit of
amounts, city and comparison run, which is also what makes asking twice build once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from evaluation.models import EvaluationRun, Participation
from evaluation.models.labels import label


def _document_path(document: Document, filename: str) -> str:
    return f"documents/run-{document.run_id}/{filename}"


class Language(models.TextChoices):
    """The languages documents are written in (Chinese first)."""

    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class AmountUnit(models.TextChoices):
    """The unit a document writes amounts in: yuan (the stored figures), or 10,000 yuan (万元,
    as the portal and budgets write them), a reviewer's choice."""

    YUAN = "yuan", _("yuan")
    WAN = "wan", _("10,000 yuan")


class Document(models.Model):
    class Kind(models.TextChoices):
        SCORECARD = "scorecard", _("city scorecard (PDF)")
        RANKING_PDF = "ranking_pdf", _("programme ranking (PDF)")
        RANKING_XLSX = "ranking_xlsx", _("programme ranking (Excel)")
        DECISION_RECORD = "decision_record", _("decision record (PDF)")
        SCORECARDS = "scorecards", _("every city's scorecard (ZIP of PDFs)")
        DOSSIER = "dossier", _("evaluation dossier (ZIP, verifiable offline)")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        BUILDING = "building", _("being built")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")

    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    language = models.CharField(max_length=10, choices=Language.choices)
    participation = models.ForeignKey(
        Participation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("The city of a scorecard."),
    )
    compared_with = models.ForeignKey(
        EvaluationRun,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("The earlier run a ranking shows the change since."),
    )
    unit = models.CharField(max_length=4, choices=AmountUnit.choices, default=AmountUnit.YUAN)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=1)
    file = models.FileField(upload_to=_document_path, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    figures = models.JSONField(
        default=dict,
        blank=True,
        help_text=_(
            "What the document shows of each city's decision and the run's totals when it was "
            "built, so that verify_run finds a document that no longer says what the run holds."
        ),
    )
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    built_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "kind", "language", "id"]
        constraints = [
            # NULL is never equal to NULL in a unique index: the absent city or comparison is
            # counted as 0, so "the ranking without comparison" exists once too.
            models.UniqueConstraint(
                F("run"),
                F("kind"),
                F("language"),
                F("unit"),
                Coalesce(F("participation"), Value(0)),
                Coalesce(F("compared_with"), Value(0)),
                name="document_built_once_per_run_kind_language_unit_city_and_comparison",
            ),
            models.CheckConstraint(
                condition=Q(kind="scorecard", participation__isnull=False)
                | (~Q(kind="scorecard") & Q(participation__isnull=True)),
                name="document_city_only_and_always_on_a_scorecard",
            ),
            models.CheckConstraint(
                condition=Q(compared_with__isnull=True)
                | Q(kind__in=["ranking_pdf", "ranking_xlsx"]),
                name="document_comparison_only_on_a_ranking",
            ),
            models.CheckConstraint(
                condition=~Q(status="ready")
                | (~Q(sha256="") & ~Q(file="") & Q(built_at__isnull=False)),
                name="document_ready_has_file_and_digest",
            ),
            models.CheckConstraint(
                condition=Q(progress_done__lte=F("progress_total")),
                name="document_progress_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of run #{self.run_id} ({self.language})"

    @property
    def percent(self) -> int:
        return 100 * self.progress_done // max(1, self.progress_total)


# Translatable names without a migration (see evaluation/models/labels.py).
label(
    Document,
    _("document"),
    _("documents"),
    run=_("run"),
    kind=_("kind"),
    language=_("language"),
    unit=_("unit of amounts"),
    participation=_("participation"),
    compared_with=_("compared with"),
    status=_("status"),
    progress_done=_("progress done"),
    progress_total=_("progress total"),
    file=_("file"),
    sha256=_("sha256"),
    figures=_("figures"),
    error=_("error"),
    requested_by=_("requested by"),
    requested_at=_("requested at"),
    built_at=_("built at"),
)


# What-if of a draft ruleset ------------------------------------------------------------------


class DraftComparison(models.Model):
    """A draft ruleset compared with the published one (what-if): asked for by a reviewer,
    computed by a worker (``reports.whatif``), kept as figures (``result``, the comparison in
    plain values) and as documents. Not a run: no result, decision or frozen ruleset comes of
    it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")

    draft = models.ForeignKey(
        "evaluation.Ruleset", on_delete=models.PROTECT, related_name="draft_comparisons"
    )
    published = models.ForeignKey(
        "evaluation.Ruleset",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The published version the draft was compared with."),
    )
    as_of = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    draft_digest = models.CharField(
        max_length=64, blank=True, help_text=_("Of the draft's rules as they were compared.")
    )
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    seconds = models.FloatField(null=True, blank=True)
    documents_status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="ready")
                | (
                    Q(result__isnull=False, finished_at__isnull=False, published__isnull=False)
                    & ~Q(draft_digest="")
                ),
                name="draft_comparison_ready_has_result",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(error=""),
                name="draft_comparison_failed_has_error",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.draft} as of {self.as_of} ({self.status})"


def _comparison_path(document: ComparisonDocument, filename: str) -> str:
    return f"documents/draft-comparison-{document.comparison_id}/{filename}"


class ComparisonDocument(models.Model):
    """A draft comparison as a document (PDF or Excel, in one language), built once and kept
    with its SHA-256."""

    class Kind(models.TextChoices):
        PDF = "pdf", _("comparison (PDF)")
        XLSX = "xlsx", _("comparison (Excel)")

    comparison = models.ForeignKey(
        DraftComparison, on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    language = models.CharField(max_length=10, choices=Language.choices)
    file = models.FileField(upload_to=_comparison_path)
    sha256 = models.CharField(max_length=64)
    built_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["comparison", "kind", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["comparison", "kind", "language"],
                name="comparison_document_once_per_kind_and_language",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of comparison #{self.comparison_id} ({self.language})"


label(
    DraftComparison,
    _("draft comparison"),
    _("draft comparisons"),
    draft=_("draft"),
    published=_("published ruleset"),
    as_of=_("as of"),
    status=_("status"),
    draft_digest=_("draft digest"),
    result=_("result"),
    error=_("error"),
    seconds=_("seconds"),
    documents_status=_("documents"),
    requested_by=_("requested by"),
    requested_at=_("requested at"),
    finished_at=_("finished at"),
)
label(
    ComparisonDocument,
    _("comparison document"),
    _("comparison documents"),
    comparison=_("draft comparison"),
    kind=_("kind"),
    language=_("language"),
    file=_("file"),
    sha256=_("sha256"),
    built_at=_("built at"),
)
