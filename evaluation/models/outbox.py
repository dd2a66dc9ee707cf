"""Tasks waiting to be sent to the broker, and the notices already sent."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from evaluation.models.reporting import Report


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
    # A task that failed by itself (not for want of a broker) is not sent again and again: it is
    # given up, with its error, and listed for the reviewers.
    given_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(dispatched_at__isnull=True),
                name="outbox_pending",
            )
        ]

    def __str__(self) -> str:
        state = "sent" if self.dispatched_at else "given up" if self.given_up_at else "pending"
        return f"{self.task}({self.kwargs}) {state}"


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


class OfficialNotice(models.Model):
    """An email to a city's officials about a version of a report (returned, or approved):
    recorded before it goes out, so that a task delivered twice sends it once. (Its table keeps
    the name it had when the portal sent these emails.)"""

    class Kind(models.TextChoices):
        RETURNED = "returned", _("returned")
        APPROVED = "approved", _("approved")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="official_notices")
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "cities_officialnotice"
        constraints = [
            models.UniqueConstraint(
                fields=["report", "version", "kind"], name="official_notice_once_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.report} v{self.version} {self.kind}"


class UndeliveredEmail(models.Model):
    """An email given up because it can never be sent as it is (a header no mail server
    takes, an address the server refuses): recorded for the reviewers to see, instead of being
    tried again for ever."""

    created_at = models.DateTimeField(auto_now_add=True)
    recipients = models.TextField()
    subject = models.CharField(max_length=300)
    about = models.CharField(max_length=200, blank=True)
    error = models.TextField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipients}"
