"""A city's money in a programme beyond its sums: the spending it planned per year (its
implementation plan) and what it spent per period, with the evidence, approved by the
ministry's reviewers like its reported values (budget execution, 预算执行率)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from evaluation import workflow
from evaluation.models.programmes import Participation
from evaluation.models.reporting import PERIOD_VALID, PeriodFields


class SpendingPlan(models.Model):
    """The spending a city planned for one year of the programme's money (its implementation
    plan), in yuan. Loaded as it is (``import_budget``, the admin, the API): it is not approved
    like the expenditure."""

    participation = models.ForeignKey(
        Participation, on_delete=models.PROTECT, related_name="spending_plan"
    )
    year = models.PositiveSmallIntegerField()
    planned = models.DecimalField(max_digits=14, decimal_places=2)

    history = HistoricalRecords()

    class Meta:
        ordering = ["participation", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["participation", "year"], name="spending_plan_one_per_year"
            ),
            models.CheckConstraint(condition=Q(planned__gte=0), name="spending_plan_not_negative"),
            models.CheckConstraint(
                condition=Q(year__gte=1990, year__lte=2100), name="spending_plan_year_plausible"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participation}: {self.year} {self.planned}"


def evidence_path(instance: Expenditure, filename: str) -> str:
    """Evidence files are kept per participation, never served as public files."""
    return f"evidence/expenditure/{instance.participation_id}/{filename}"


class Expenditure(PeriodFields):
    """What a city spent of the programme's money in one period (a year, quarter or month),
    in yuan, with its evidence (佐证材料): entered by the city's officials, approved by a
    reviewer (``workflow.EXPENDITURE``); only approved expenditure counts in an evaluation.
    ``version`` rises with every change, so an edit based on a stale copy is refused."""

    Status = workflow.ExpenditureStatus

    participation = models.ForeignKey(
        Participation, on_delete=models.PROTECT, related_name="expenditure"
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    evidence = models.TextField(
        blank=True,
        help_text=_("What proves the spending: vouchers, contracts, payment orders…"),
    )
    evidence_file = models.FileField(upload_to=evidence_path, blank=True, max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1)
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
    review_comment = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["participation", "year", "granularity", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["participation", "year", "granularity", "number"],
                name="expenditure_one_per_period",
            ),
            models.CheckConstraint(condition=PERIOD_VALID, name="expenditure_period_valid"),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="expenditure_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(status="returned") | ~Q(review_comment=""),
                name="expenditure_returned_has_comment",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["submitted", "approved"]) | Q(submitted_at__isnull=False),
                name="expenditure_submission_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(reviewed_at__isnull=False),
                name="expenditure_approval_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participation.city.code} {self.period} {self.amount}"
