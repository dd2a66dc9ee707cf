"""What a city reports: its reports per period, their values, and the reminders sent."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from evaluation import quality, vocabulary, workflow
from evaluation.models.programmes import Indicator, Participation
from evaluation.scoring import Granularity, Period


class PeriodFields(models.Model):
    """A reporting period: a year (number 0), a quarter (1-4) or a month (1-12)."""

    year = models.PositiveSmallIntegerField()
    granularity = models.CharField(max_length=7, choices=[(g.value, g.value) for g in Granularity])
    number = models.PositiveSmallIntegerField(
        help_text=_("0 for a year, 1-4 a quarter, 1-12 a month")
    )

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

    # The states and the steps between them are the workflow table's (``workflow.REPORT``).
    Status = workflow.ReportStatus

    participation = models.ForeignKey(
        Participation, on_delete=models.PROTECT, related_name="reports"
    )
    # The participation's city, kept on the report so that the database itself holds one
    # report per city and period, whichever batch it is filed in: the values are the city's.
    city = models.ForeignKey("City", on_delete=models.PROTECT, related_name="reports")
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
        blank=True, help_text=_("The reviewer's comment when returning, or reason when reopening.")
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["participation", "year", "granularity", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["participation", "year", "granularity", "number"],
                name="report_one_per_period",
            ),
            models.UniqueConstraint(
                fields=["city", "year", "granularity", "number"],
                name="report_one_per_city_and_period",
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
        return f"{self.participation.city.code} {self.period} ({self.get_status_display()})"

    def clean(self) -> None:
        if self.participation_id is not None and self.city_id != self.participation.city_id:
            raise ValidationError(
                {"city": gettext("a report's city is the city of its participation")}
            )


class Reminder(PeriodFields):
    """A reminder sent to a city's officials about one period's report: recorded so that the
    same step is never sent twice."""

    class Step(models.TextChoices):
        BEFORE = "before", _("before the due date")
        AFTER = "after", _("after the due date")

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
        DRAFT = "draft", _("draft (in a report not yet submitted, or returned)")
        SUBMITTED = "submitted", _("submitted, awaiting review")
        APPROVED = "approved", _("approved")

    city = models.ForeignKey("City", on_delete=models.PROTECT, related_name="metric_values")
    report = models.ForeignKey(
        "Report", null=True, blank=True, on_delete=models.PROTECT, related_name="values"
    )
    flags = models.JSONField(
        default=list,
        blank=True,
        help_text=_(
            "Why a reviewer should look at this value (not a refusal): each a code with its "
            "figures."
        ),
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
        # In the reader's words (the admin's titles and breadcrumbs): the indicator by name.
        indicator = vocabulary.indicator_name(self.indicator)
        return f"{self.city} {indicator} {self.period}: {self.value}"

    @property
    def flag(self) -> str:
        """Its data-quality flags as sentences in the reader's language ("" for none)."""
        return quality.flag_text(self.flags)


class ReportComment(models.Model):
    """One message of a report's conversation, with its author and time: the reviewer's
    comment on returning (or reason for reopening) the report, an official's reply, a further
    note by either side. The latest return comment is also the report's ``review_comment``."""

    class Kind(models.TextChoices):
        RETURN = "return", _("returned the report")
        REOPEN = "reopen", _("reopened the report")
        REPLY = "reply", _("the city's reply")
        NOTE = "note", _("note")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="comments")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.REPLY)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    text = models.TextField(max_length=20000)
    # When the other side was told by email (a reply: the reviewers; a note: the officials);
    # claimed before sending, so a task delivered twice sends it once.
    emailed_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["emailed_at"])

    class Meta:
        ordering = ["report", "created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="report_comment_says_something"),
        ]

    def __str__(self) -> str:
        return f"{self.report} · {self.author_id} · {self.created_at:%Y-%m-%d %H:%M}"


class CityReminder(models.Model):
    """A reminder a reviewer asked to send to a city's officials about every report awaiting
    them that is due or overdue (the completeness view's action): recorded when asked for, and
    marked sent once its email has gone, so a task delivered twice sends it once."""

    participation = models.ForeignKey(
        Participation, on_delete=models.CASCADE, related_name="city_reminders"
    )
    periods = models.JSONField(default=list)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(periods=[]), name="city_reminder_names_a_period"),
        ]

    def __str__(self) -> str:
        return f"{self.participation.city.code} {', '.join(self.periods)}"
