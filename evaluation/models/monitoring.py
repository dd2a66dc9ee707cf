"""Dual monitoring (绩效运行监控 / 双监控): a reviewer may suspend a city's pending payment
(暂缓拨付) with a written reason; a second reviewer lifts it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from evaluation.models.programmes import Participation


class PaymentSuspension(models.Model):
    """A suspension of a city's pending payment in a programme: while it stands, none of the
    city's tranche decisions can be signed off. Lifted by another reviewer than the one who
    suspended it, with a reason too."""

    participation = models.ForeignKey(
        Participation, on_delete=models.PROTECT, related_name="suspensions"
    )
    reason = models.TextField()
    suspended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    suspended_at = models.DateTimeField(auto_now_add=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.TextField(blank=True)
    # When the city's officials were told (once each way).
    suspension_told_at = models.DateTimeField(null=True, blank=True)
    lifting_told_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-suspended_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["participation"],
                condition=Q(lifted_at__isnull=True),
                name="suspension_one_standing_per_participation",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="suspension_has_a_reason"),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True, lifted_by__isnull=True, lift_reason="")
                | (
                    Q(lifted_at__isnull=False, lifted_by__isnull=False)
                    & ~Q(lift_reason="")
                    & ~Q(lifted_by=F("suspended_by"))
                ),
                name="suspension_lifted_by_a_second_reviewer_with_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participation} suspended {self.suspended_at:%Y-%m-%d}"

    @property
    def standing(self) -> bool:
        return self.lifted_at is None
