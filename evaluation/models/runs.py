"""Evaluation runs, their per-city and per-indicator results, and the tranche decisions."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from evaluation import vocabulary, workflow
from evaluation.models.programmes import Indicator, Participation, Programme
from evaluation.models.rulesets import Ruleset
from evaluation.scoring.decimals import quantize
from evaluation.scoring.rules import rule_kind, show
from evaluation.vocabulary import Grade, rule_kind_choices

# Plain values in the constraints, so their migrations read the same words.
NOT_ASSESSABLE = str(vocabulary.IndicatorStatus.NOT_ASSESSABLE.value)
RELEASE = str(vocabulary.Decision.RELEASE.value)
WITHHOLD = str(vocabulary.Decision.WITHHOLD.value)


class EvaluationRun(models.Model):
    """One evaluation of a programme at a date under one ruleset version."""

    class Kind(models.TextChoices):
        OFFICIAL = "official", _("official (its decisions go to sign-off)")
        PROVISIONAL = "provisional", _("provisional (for information, never decided)")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    class Trigger(models.TextChoices):
        COMMAND = "command", _("command line")
        SCHEDULE = "schedule", _("schedule")
        API = "api", _("API")
        ADMIN = "admin", _("admin")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="runs")
    ruleset = models.ForeignKey(Ruleset, on_delete=models.PROTECT, related_name="runs")
    as_of = models.DateField()
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.OFFICIAL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    years_elapsed = models.PositiveSmallIntegerField(null=True, blank=True)
    cities_total = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("How many cities the run scores (set when it starts).")
    )
    input_digest = models.CharField(max_length=64, blank=True)
    result_digest = models.CharField(max_length=64, blank=True)
    identical_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("An earlier run with the same ruleset, inputs and results."),
    )
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    finalised_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_(
            "When every decision of this official run was signed off; periods up to its "
            "as-of date are then closed to officials."
        ),
    )
    heartbeat_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_(
            "The run's last sign of progress (requested, started, a chunk taken or stored, "
            "re-queued): the sweep looks after a queued or running run that has none for "
            "EVALUATION_STALL_SECONDS."
        ),
    )
    start_deliveries = models.PositiveIntegerField(
        default=0, help_text=_("How many times a worker began starting the run.")
    )
    start_last_error = models.TextField(
        blank=True, help_text=_("The error the run's start last raised before a retry.")
    )

    # The heartbeat moves with every chunk through update(), which writes no history row.
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["programme", "as_of", "status"], name="run_programme_as_of"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="succeeded")
                | (
                    ~Q(input_digest="")
                    & ~Q(result_digest="")
                    & Q(finished_at__isnull=False, years_elapsed__gte=1)
                ),
                name="run_succeeded_has_digests",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | (~Q(error="") & Q(finished_at__isnull=False)),
                name="run_failed_has_error",
            ),
            models.CheckConstraint(
                condition=Q(finalised_at__isnull=True) | Q(status="succeeded", kind="official"),
                name="run_finalised_only_if_official_and_succeeded",
            ),
        ]

    def __str__(self) -> str:
        return gettext("run #%(id)s of %(programme)s as of %(as_of)s (%(status)s)") % {
            "id": self.pk,
            "programme": self.programme.code,
            "as_of": self.as_of,
            "status": self.get_status_display(),
        }

    @property
    def progress(self) -> str:
        """Cities scored so far, of all (a running run is shared by several workers)."""
        if self.cities_total is None:
            return "—"
        return gettext("%(scored)s of %(total)s cities") % {
            "scored": self.city_results.count(),
            "total": self.cities_total,
        }

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class CityResult(models.Model):
    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="city_results")
    participation = models.ForeignKey(Participation, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(max_digits=5, decimal_places=2)
    grade = models.CharField(max_length=20, choices=Grade.choices)
    release_share = models.DecimalField(max_digits=5, decimal_places=4)
    reason = models.TextField()
    input_digest = models.CharField(max_length=64, default="", help_text=_("Of the city's inputs."))
    result_digest = models.CharField(
        max_length=64, default="", help_text=_("Of every number and reason.")
    )

    class Meta:
        ordering = ["run", "participation__city__code"]
        constraints = [
            models.UniqueConstraint(fields=["run", "participation"], name="city_result_unique"),
            # At most 100 points, and a few hundredths more: the optional tasks' shares of one
            # weight are each rounded half-up (programme-rules.md), so 3 shares of 20 points
            # at full marks score 6.67 each, 20.01 together.
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=101), name="city_result_score_range"
            ),
        ]

    def __str__(self) -> str:
        # In the reader's words (the admin's titles, breadcrumbs and messages): the city by its
        # name, the grade as a word.
        return gettext("%(city)s: %(score)s points (%(grade)s)") % {
            "city": self.participation.city,
            "score": self.score,
            "grade": vocabulary.grade_word(self.grade),
        }


class IndicatorResult(models.Model):
    """Every number of one indicator's assessment, and why."""

    Status = vocabulary.IndicatorStatus

    city_result = models.ForeignKey(
        CityResult, on_delete=models.CASCADE, related_name="indicator_results"
    )
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=rule_kind_choices)
    status = models.CharField(max_length=20, choices=Status.choices)
    weight = models.DecimalField(max_digits=6, decimal_places=2)
    full_target = models.DecimalField(
        max_digits=14, decimal_places=4, help_text=_("The committed target, or the floor.")
    )
    target_source = models.CharField(max_length=10, choices=vocabulary.TargetSource.choices)
    target = models.DecimalField(
        max_digits=18, decimal_places=4, help_text=_("Growth fraction, or the pro-rated count.")
    )
    actual = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    attainment = models.DecimalField(max_digits=5, decimal_places=4)
    points = models.DecimalField(max_digits=6, decimal_places=2)
    base_value = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    final_value = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    reason = models.TextField()
    # The spot checks of values the indicator read (a ruleset with the verified-values part):
    # each {"period", "claimed", "verified", "stands"}, and the points deducted for a
    # discrepancy (the tolerance of the run's ruleset words them).
    checks = models.JSONField(default=list, blank=True)
    deducted = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal(0))

    class Meta:
        ordering = ["city_result", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["city_result", "indicator"], name="indicator_result_unique"
            ),
            models.CheckConstraint(
                condition=Q(attainment__gte=0, attainment__lte=1),
                name="indicator_result_attainment_range",
            ),
            models.CheckConstraint(
                condition=Q(points__gte=0, points__lte=F("weight")),
                name="indicator_result_points_within_weight",
            ),
            models.CheckConstraint(
                condition=Q(status=NOT_ASSESSABLE, actual__isnull=True, points=0)
                | (~Q(status=NOT_ASSESSABLE) & Q(actual__isnull=False)),
                name="indicator_result_assessable_has_actual",
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(indicator)s: %(status)s, %(points)s points") % {
            "indicator": vocabulary.indicator_name(self.indicator),
            "status": self.get_status_display(),
            "points": self.points,
        }

    @property
    def discrepancy(self) -> bool:
        """A verified value replaced a claimed one (programme-rules.md, "Verified values")."""
        return any(not check.get("stands", True) for check in self.checks)

    # The one precision of each figure, wherever it is given as exact decimals (the API, the
    # run's JSON document): the rule kind's for its target and actual (4 decimals for a growth
    # fraction, 2 for a count), otherwise its column's.
    KIND_FIGURES = ("full_target", "target", "actual")

    def exact(self, figure: str) -> str | None:
        return self.exact_figure(self.kind, figure, getattr(self, figure))

    @classmethod
    def exact_figure(cls, kind: str, figure: str, value: Decimal | None) -> str | None:
        """``exact`` of a figure read without its row (the streamed JSON document)."""
        if value is None:
            return None
        if figure in cls.KIND_FIGURES:
            rule = rule_kind(kind)
            measure = rule.actual_measure if figure == "actual" else rule.target_measure
            places = measure.quantum
        else:
            field = cls._meta.get_field(figure)
            assert isinstance(field, models.DecimalField)
            places = Decimal(1).scaleb(-field.decimal_places)
        return f"{quantize(value, places):f}"


class TrancheDecision(models.Model):
    """The run's recommendation on a city's second tranche, and a reviewer's sign-off of it."""

    Decision = vocabulary.Decision

    # Recommended, then confirmed or overridden: the workflow table's (``workflow.DECISION``).
    Status = workflow.DecisionStatus

    city_result = models.OneToOneField(
        CityResult, on_delete=models.CASCADE, related_name="decision"
    )
    remaining_amount = models.DecimalField(max_digits=14, decimal_places=2)
    recommended_decision = models.CharField(max_length=10, choices=Decision.choices)
    recommended_amount = models.DecimalField(max_digits=14, decimal_places=2)
    reason = models.TextField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECOMMENDED)
    final_decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    final_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    override_reason = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(recommended_amount__gte=0)
                & Q(recommended_amount__lte=F("remaining_amount")),
                name="decision_amount_within_remaining",
            ),
            models.CheckConstraint(
                condition=Q(recommended_decision=RELEASE, recommended_amount__gt=0)
                | Q(recommended_decision=WITHHOLD, recommended_amount=0),
                name="decision_release_iff_amount",
            ),
            models.CheckConstraint(
                condition=Q(status="recommended")
                | Q(decided_by__isnull=False, decided_at__isnull=False, final_amount__isnull=False),
                name="decision_sign_off_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(status="overridden") | ~Q(override_reason=""),
                name="decision_override_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(result)s: %(decision)s %(amount)s yuan") % {
            "result": self.city_result,
            "decision": self.get_recommended_decision_display(),
            "amount": show(self.recommended_amount),
        }


class PanelMarkResult(models.Model):
    """An expert's score of a task as a run read it, and whether the panel counted it (the
    highest and lowest of five or more are dropped): kept with the run, so its documents show
    the scores it was computed from, whatever an expert changes later."""

    indicator_result = models.ForeignKey(
        IndicatorResult, on_delete=models.CASCADE, related_name="panel_marks"
    )
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(max_digits=3, decimal_places=2)
    counted = models.BooleanField()

    class Meta:
        ordering = ["indicator_result", "expert__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator_result", "expert"], name="panel_mark_result_once_per_expert"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=1), name="panel_mark_result_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_result}: {self.expert} {self.score}"
