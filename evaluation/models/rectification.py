"""Rectification (整改): what a city graded below its ruleset's threshold in a finalised official
run must put right, one item per indicator it fell short on, answered by the city with the
measures taken and evidence, and accepted or returned by a reviewer (the lifecycle is the
workflow table's, ``workflow.RECTIFICATION``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from evaluation import workflow
from evaluation.models.labels import label
from evaluation.models.programmes import Participation
from evaluation.models.runs import CityResult, IndicatorResult


def _evidence_path(item: RectificationItem, filename: str) -> str:
    return f"rectification/{item.participation_id}/{item.pk or 'new'}/{filename}"


class RectificationItem(models.Model):
    """One shortfall a city must rectify: an indicator it did not meet in a finalised official
    run (a task of the expert panel would be a second kind of subject: a nullable link beside
    ``indicator_result``, the constraint "has a subject" then allowing either)."""

    Status = workflow.RectificationStatus

    city_result = models.ForeignKey(
        CityResult, on_delete=models.PROTECT, related_name="rectification_items"
    )
    participation = models.ForeignKey(
        Participation, on_delete=models.PROTECT, related_name="rectification_items"
    )
    indicator_result = models.ForeignKey(
        IndicatorResult, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default="open")
    measures = models.TextField(blank=True, help_text=_("The measures the city has taken."))
    evidence_note = models.TextField(
        blank=True, help_text=_("The evidence, described (what it is, where it can be seen).")
    )
    evidence_file = models.FileField(upload_to=_evidence_path, blank=True, max_length=300)
    evidence_name = models.CharField(max_length=200, blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["due_date", "participation__city__code", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator_result"], name="rectification_item_once_per_shortfall"
            ),
            models.CheckConstraint(
                condition=Q(indicator_result__isnull=False),
                name="rectification_item_has_a_subject",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | (~Q(measures="") & Q(answered_at__isnull=False)),
                name="rectification_item_answered_has_measures",
            ),
            models.CheckConstraint(
                condition=~Q(status="returned") | ~Q(review_comment=""),
                name="rectification_item_returned_has_comment",
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(reviewed_by__isnull=False),
                name="rectification_item_accepted_by_a_reviewer",
            ),
        ]

    def __str__(self) -> str:
        subject = self.indicator_result.indicator if self.indicator_result else "—"
        return f"{self.participation.city.code}: {subject} ({self.status})"


class RectificationReminder(models.Model):
    """A reminder sent to a city's officials about an item: once before its due date and once
    after, never twice (recorded before the email goes)."""

    class Step(models.TextChoices):
        BEFORE = "before", _("before the due date")
        AFTER = "after", _("after the due date")

    item = models.ForeignKey(RectificationItem, on_delete=models.CASCADE, related_name="reminders")
    step = models.CharField(max_length=10, choices=Step.choices)
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "step"], name="rectification_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.step}"


label(
    RectificationItem,
    _("rectification item"),
    _("rectification items"),
    city_result=_("city result"),
    participation=_("participation"),
    indicator_result=_("indicator result"),
    due_date=_("due date"),
    status=_("status"),
    measures=_("measures taken"),
    evidence_note=_("evidence"),
    evidence_file=_("evidence file"),
    evidence_name=_("evidence file name"),
    evidence_sha256=_("evidence file SHA-256"),
    answered_by=_("answered by"),
    answered_at=_("answered at"),
    review_comment=_("reviewer's comment"),
    reviewed_by=_("reviewed by"),
    reviewed_at=_("reviewed at"),
    created_at=_("created at"),
)
label(
    RectificationReminder,
    _("rectification reminder"),
    _("rectification reminders"),
    item=_("rectification item"),
    step=_("step"),
    sent_at=_("sent at"),
    recipients=_("recipients"),
)
