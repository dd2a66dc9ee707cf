"""The programme's data in its own words: programmes (batches), the cities taking part and their
money and targets, the indicator catalogue, versioned rulesets, metric values, evaluation runs
with their per-city and per-indicator results, and the recommended tranche decisions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from evaluation.scoring import Granularity, Period


class Programme(models.Model):
    """A batch of key cities (2018, 2019, 2020…) with its own years and sums."""

    code = models.CharField(max_length=20, unique=True, help_text='e.g. "2020"')
    name = models.CharField(max_length=200)
    baseline_year = models.PositiveSmallIntegerField(
        help_text="The year before construction starts (2019 for the 2020 batch)."
    )
    construction_years = models.PositiveSmallIntegerField(default=3)
    midterm_as_of = models.DateField(help_text="The as-of date of the mid-term evaluation.")
    # The central funds per city, in yuan. Where the notice gives one sum (2020: 150 million,
    # 100 million first) min equals max and it is each city's default; where it gives a range
    # (2019: 150-200 million) each city's own amounts are imported and must lie inside it.
    total_amount_min = models.DecimalField(max_digits=14, decimal_places=2)
    total_amount_max = models.DecimalField(max_digits=14, decimal_places=2)
    first_tranche_min = models.DecimalField(max_digits=14, decimal_places=2)
    first_tranche_max = models.DecimalField(max_digits=14, decimal_places=2)
    release_basis = models.TextField(
        blank=True, help_text="How the rest of the money is released, as the notice says."
    )
    is_active = models.BooleanField(default=True)
    midterm_grace_days = models.PositiveSmallIntegerField(
        default=45,
        help_text="The scheduled official mid-term run starts this many days after the as-of "
        "date, so the last reports can still be submitted and approved.",
    )
    report_due_day = models.PositiveSmallIntegerField(
        default=15, help_text="A period's report is due on this day of the following month."
    )
    quality_factor = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal(3),
        help_text="A submitted value this many times above or below the same period a year "
        "earlier is flagged for the reviewer.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(construction_years__gte=1), name="programme_construction_years_positive"
            ),
            models.CheckConstraint(
                condition=Q(baseline_year__gte=1990, baseline_year__lte=2100),
                name="programme_baseline_year_plausible",
            ),
            models.CheckConstraint(
                condition=Q(report_due_day__gte=1, report_due_day__lte=28),
                name="programme_report_due_day_in_month",
            ),
            models.CheckConstraint(
                condition=Q(quality_factor__gt=1), name="programme_quality_factor"
            ),
            models.CheckConstraint(
                condition=Q(total_amount_min__gte=0)
                & Q(total_amount_max__gte=F("total_amount_min"))
                & Q(first_tranche_min__gte=0)
                & Q(first_tranche_max__gte=F("first_tranche_min"))
                & Q(first_tranche_max__lte=F("total_amount_max")),
                name="programme_amount_ranges_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def has_fixed_amounts(self) -> bool:
        return (
            self.total_amount_min == self.total_amount_max
            and self.first_tranche_min == self.first_tranche_max
        )


class Participation(models.Model):
    """A city's place in a programme, with its own money (in yuan)."""

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="participations"
    )
    city = models.ForeignKey("cities.City", on_delete=models.PROTECT, related_name="participations")
    total_amount = models.DecimalField(max_digits=14, decimal_places=2)
    first_tranche = models.DecimalField(max_digits=14, decimal_places=2)

    history = HistoricalRecords()

    class Meta:
        ordering = ["programme__code", "city__code"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "city"], name="participation_unique"),
            models.CheckConstraint(
                condition=Q(first_tranche__gte=0) & Q(total_amount__gte=F("first_tranche")),
                name="participation_first_tranche_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.city} in {self.programme.code}"

    @property
    def remaining_amount(self) -> Decimal:
        """What the mid-term evaluation decides on: total less the first tranche."""
        return self.total_amount - self.first_tranche


class OfficialAssignment(models.Model):
    """A city official bound to a city's participation; a city may have several officials and
    an official several cities."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    participation = models.ForeignKey(
        Participation, on_delete=models.CASCADE, related_name="officials"
    )

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "participation"], name="official_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} for {self.participation}"


class Indicator(models.Model):
    """An entry of the indicator catalogue. How it is scored is a rule of a ruleset."""

    class Unit(models.TextChoices):
        COUNT = "count", "count (whole number)"
        AMOUNT = "amount", "amount in 10,000 yuan (万元)"

    code = models.SlugField(max_length=50, unique=True)
    name_en = models.CharField("English name", max_length=200)
    name_zh = models.CharField("Chinese name", max_length=100)
    unit = models.CharField(max_length=10, choices=Unit.choices)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.code

    @property
    def decimal_places(self) -> int:
        return 0 if self.unit == self.Unit.COUNT else 2


class Target(models.Model):
    """A target a city committed to in its implementation plan. Growth targets are fractions
    (0.25 is 25%); cumulative targets are totals over the whole programme."""

    participation = models.ForeignKey(
        Participation, on_delete=models.CASCADE, related_name="targets"
    )
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(max_digits=14, decimal_places=4)

    history = HistoricalRecords()

    class Meta:
        ordering = ["participation", "indicator__position"]
        constraints = [
            models.UniqueConstraint(fields=["participation", "indicator"], name="target_unique"),
            models.CheckConstraint(condition=Q(value__gt=0), name="target_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.participation}: {self.indicator} {self.value}"


class RuleKind(models.TextChoices):
    GROWTH = "growth", "growth (average annual growth from the baseline year)"
    CUMULATIVE = "cumulative", "cumulative (total since the start, pro-rated target)"


class Grade(models.TextChoices):
    EXCELLENT = "excellent", "excellent (优)"
    GOOD = "good", "good (良)"
    FAIR = "fair", "fair (中)"
    POOR = "poor", "poor (差)"


class Ruleset(models.Model):
    """Indicators, floors, weights, grade bands and release tiers of a programme, versioned.

    Once a run has used a version it is frozen (``frozen_at``): an edit makes a new version.
    The highest version is the programme's current ruleset."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="rulesets")
    version = models.PositiveIntegerField()
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    frozen_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["programme__code", "version"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "version"], name="ruleset_version_unique"),
            models.CheckConstraint(condition=Q(version__gte=1), name="ruleset_version_positive"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.programme.code}-v{self.version}"

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None


class FrozenRulesetError(ValidationError):
    def __init__(self, ruleset: Ruleset) -> None:
        super().__init__(
            f"ruleset {ruleset.label} has been used by an evaluation run and cannot change; "
            "revise it to make a new version"
        )


class RulesetPart(models.Model):
    """A row of a ruleset. Saving or deleting one of a frozen ruleset is refused, whoever asks
    (a service, the admin or the shell)."""

    ruleset: models.ForeignKey[Ruleset, Ruleset]

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._refuse_if_frozen()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        self._refuse_if_frozen()
        return super().delete(*args, **kwargs)

    def _refuse_if_frozen(self) -> None:
        ruleset_id = self.ruleset_id  # type: ignore[attr-defined]
        if (
            ruleset_id is not None
            and Ruleset.objects.filter(pk=ruleset_id, frozen_at__isnull=False).exists()
        ):
            raise FrozenRulesetError(self.ruleset)


class IndicatorRule(RulesetPart):
    ruleset = models.ForeignKey(Ruleset, on_delete=models.CASCADE, related_name="rules")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=RuleKind.choices)
    floor = models.DecimalField(
        max_digits=14,
        decimal_places=4,
        help_text="National floor: a growth fraction (0.20), or a count over the programme.",
    )
    weight = models.DecimalField(max_digits=6, decimal_places=2)

    history = HistoricalRecords()

    class Meta:
        ordering = ["ruleset", "indicator__position"]
        constraints = [
            models.UniqueConstraint(fields=["ruleset", "indicator"], name="indicator_rule_unique"),
            models.CheckConstraint(condition=Q(floor__gt=0), name="indicator_rule_floor_positive"),
            models.CheckConstraint(
                condition=Q(weight__gte=0, weight__lte=100), name="indicator_rule_weight_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ruleset}: {self.indicator} ({self.kind}, weight {self.weight})"


class GradeBand(RulesetPart):
    """A grade, the lowest total that reaches it, and the share of the remaining amount that it
    releases (the release tier)."""

    ruleset = models.ForeignKey(Ruleset, on_delete=models.CASCADE, related_name="bands")
    grade = models.CharField(max_length=20, choices=Grade.choices)
    min_score = models.DecimalField(max_digits=5, decimal_places=2)
    release_share = models.DecimalField(max_digits=5, decimal_places=4)

    history = HistoricalRecords()

    class Meta:
        ordering = ["ruleset", "-min_score"]
        constraints = [
            models.UniqueConstraint(fields=["ruleset", "grade"], name="grade_band_grade_unique"),
            models.UniqueConstraint(fields=["ruleset", "min_score"], name="grade_band_min_unique"),
            models.CheckConstraint(
                condition=Q(min_score__gte=0, min_score__lte=100), name="grade_band_min_score_range"
            ),
            models.CheckConstraint(
                condition=Q(release_share__gte=0, release_share__lte=1),
                name="grade_band_release_share_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grade} from {self.min_score}: {self.release_share:%}"


class PeriodFields(models.Model):
    """A reporting period: a year (number 0), a quarter (1-4) or a month (1-12)."""

    year = models.PositiveSmallIntegerField()
    granularity = models.CharField(max_length=7, choices=[(g.value, g.value) for g in Granularity])
    number = models.PositiveSmallIntegerField(help_text="0 for a year, 1-4 a quarter, 1-12 a month")

    class Meta:
        abstract = True

    @property
    def period(self) -> Period:
        return Period(self.year, Granularity(self.granularity), self.number)


PERIOD_VALID = (
    Q(granularity="year", number=0)
    | Q(granularity="quarter", number__gte=1, number__lte=4)
    | Q(granularity="month", number__gte=1, number__lte=12)
)


class Report(PeriodFields):
    """A city's report for one period (a month by default; the baseline year as one annual
    report) and where it stands in review: draft → submitted → approved, or returned with a
    comment → resubmitted. ``version`` rises with every change, so an update based on a stale
    copy can be refused."""

    class Status(models.TextChoices):
        DRAFT = "draft", "draft"
        SUBMITTED = "submitted", "submitted, awaiting review"
        RETURNED = "returned", "returned to the city with a comment"
        APPROVED = "approved", "approved (locked)"

    participation = models.ForeignKey(
        Participation, on_delete=models.PROTECT, related_name="reports"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1)
    due_date = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(
        blank=True, help_text="The reviewer's comment when returning, or reason when reopening."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["participation", "year", "granularity", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["participation", "year", "granularity", "number"],
                name="report_one_per_period",
            ),
            models.CheckConstraint(condition=PERIOD_VALID, name="report_period_valid"),
            models.CheckConstraint(
                condition=~Q(status="returned") | ~Q(review_comment=""),
                name="report_returned_has_comment",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["submitted", "approved"]) | Q(submitted_at__isnull=False),
                name="report_submission_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(reviewed_at__isnull=False),
                name="report_approval_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participation.city.code} {self.period} ({self.status})"


class Reminder(PeriodFields):
    """A reminder sent to a city's officials about one period's report: recorded so that the
    same step is never sent twice."""

    class Step(models.TextChoices):
        BEFORE = "before", "before the due date"
        AFTER = "after", "after the due date"

    participation = models.ForeignKey(
        Participation, on_delete=models.CASCADE, related_name="reminders"
    )
    step = models.CharField(max_length=6, choices=Step.choices)
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participation", "year", "granularity", "number", "step"],
                name="reminder_once_per_step",
            ),
            models.CheckConstraint(condition=PERIOD_VALID, name="reminder_period_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.participation.city.code} {self.period} {self.step}"


class MetricValue(PeriodFields):
    """One value of a city for an indicator and period. Only approved values are evaluated."""

    class Status(models.TextChoices):
        DRAFT = "draft", "draft (in a report not yet submitted, or returned)"
        SUBMITTED = "submitted", "submitted, awaiting review"
        APPROVED = "approved", "approved"

    city = models.ForeignKey("cities.City", on_delete=models.PROTECT, related_name="metric_values")
    report = models.ForeignKey(
        "Report", null=True, blank=True, on_delete=models.PROTECT, related_name="values"
    )
    flag = models.TextField(
        blank=True, help_text="Why a reviewer should look at this value (not a refusal)."
    )
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(max_digits=16, decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["city", "indicator__position", "year", "granularity", "number"]
        indexes = [models.Index(fields=["city", "year"], name="metric_city_year")]
        constraints = [
            models.UniqueConstraint(
                fields=["city", "indicator", "year", "granularity", "number"],
                name="metric_value_one_per_period",
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="metric_value_non_negative"),
            models.CheckConstraint(condition=PERIOD_VALID, name="metric_value_period_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "submitted"], approved_at__isnull=True)
                | Q(status="approved", approved_at__isnull=False),
                name="metric_value_approval_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.city.code} {self.indicator.code} {self.period} = {self.value}"


class EvaluationRun(models.Model):
    """One evaluation of a programme at a date under one ruleset version."""

    class Kind(models.TextChoices):
        OFFICIAL = "official", "official (its decisions go to sign-off)"
        PROVISIONAL = "provisional", "provisional (for information, never decided)"

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"

    class Trigger(models.TextChoices):
        COMMAND = "command", "command line"
        SCHEDULE = "schedule", "schedule"
        API = "api", "API"
        ADMIN = "admin", "admin"

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
        null=True, blank=True, help_text="How many cities the run scores (set when it starts)."
    )
    input_digest = models.CharField(max_length=64, blank=True)
    result_digest = models.CharField(max_length=64, blank=True)
    identical_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="An earlier run with the same ruleset, inputs and results.",
    )
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    finalised_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When every decision of this official run was signed off; periods up to its "
        "as-of date are then closed to officials.",
    )

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
        return f"run #{self.pk} of {self.programme.code} as of {self.as_of} ({self.status})"

    @property
    def progress(self) -> str:
        """Cities scored so far, of all (a running run is shared by several workers)."""
        if self.cities_total is None:
            return "—"
        return f"{self.city_results.count()} of {self.cities_total} cities"

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
    input_digest = models.CharField(max_length=64, default="", help_text="Of the city's inputs.")
    result_digest = models.CharField(
        max_length=64, default="", help_text="Of every number and reason."
    )

    class Meta:
        ordering = ["run", "participation__city__code"]
        constraints = [
            models.UniqueConstraint(fields=["run", "participation"], name="city_result_unique"),
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=100), name="city_result_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participation.city.code}: {self.score} ({self.grade})"


class IndicatorResult(models.Model):
    """Every number of one indicator's assessment, and why."""

    class Status(models.TextChoices):
        MET = "met", "met"
        PARTIAL = "partial", "partial"
        MISSED = "missed", "missed"
        NOT_ASSESSABLE = "not_assessable", "not assessable (flagged for review)"

    city_result = models.ForeignKey(
        CityResult, on_delete=models.CASCADE, related_name="indicator_results"
    )
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=RuleKind.choices)
    status = models.CharField(max_length=20, choices=Status.choices)
    weight = models.DecimalField(max_digits=6, decimal_places=2)
    full_target = models.DecimalField(
        max_digits=14, decimal_places=4, help_text="The committed target, or the floor."
    )
    target_source = models.CharField(
        max_length=10, choices=[("committed", "committed"), ("floor", "national floor")]
    )
    target = models.DecimalField(
        max_digits=18, decimal_places=4, help_text="Growth fraction, or the pro-rated count."
    )
    actual = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    attainment = models.DecimalField(max_digits=5, decimal_places=4)
    points = models.DecimalField(max_digits=6, decimal_places=2)
    base_value = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    final_value = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    reason = models.TextField()

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
                condition=Q(status="not_assessable", actual__isnull=True, points=0)
                | (~Q(status="not_assessable") & Q(actual__isnull=False)),
                name="indicator_result_assessable_has_actual",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.status} {self.points}"


class TrancheDecision(models.Model):
    """The run's recommendation on a city's second tranche, and a reviewer's sign-off of it."""

    class Decision(models.TextChoices):
        RELEASE = "release", "release"
        WITHHOLD = "withhold", "withhold"

    class Status(models.TextChoices):
        RECOMMENDED = "recommended", "recommended, awaiting sign-off"
        CONFIRMED = "confirmed", "confirmed"
        OVERRIDDEN = "overridden", "overridden"

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
                condition=Q(recommended_decision="release", recommended_amount__gt=0)
                | Q(recommended_decision="withhold", recommended_amount=0),
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
        return f"{self.city_result}: {self.recommended_decision} {self.recommended_amount}"


class OutboxTask(models.Model):
    """A Celery task to send once the transaction that asked for it has committed. Written in
    that transaction, so the request succeeds even when the broker is down; sent right after
    commit, or by the every-minute dispatch once the broker is back."""

    task = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(dispatched_at__isnull=True),
                name="outbox_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task}({self.kwargs}) {'sent' if self.dispatched_at else 'pending'}"


class ReviewNotice(models.Model):
    """Reviewers were told that this version of a report awaits review (at most once)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="notices")
    version = models.PositiveIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "version"], name="review_notice_once"),
        ]

    def __str__(self) -> str:
        return f"notice for {self.report} v{self.version}"
