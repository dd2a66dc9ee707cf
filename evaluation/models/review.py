"""The city's self-evaluation (自评) and the province's review (省级复核): who reviews for a
province, a self-evaluation for an evaluation date with its lines (frozen when submitted), and
each opinion or return the province wrote on a report or a self-evaluation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from evaluation import workflow
from evaluation.models.programmes import Indicator, Participation
from evaluation.models.reporting import Report


class ProvincialReviewer(models.Model):
    """A provincial reviewer's binding (``grant_role NAME province --province 34``): the
    province (two digits of the division code) whose cities they review, and no other."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provincial_reviewer"
    )
    province = models.CharField(_("province"), max_length=2)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("provincial reviewer")
        verbose_name_plural = _("provincial reviewers")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(province__regex=r"^[0-9]{2}$"),
                name="provincial_reviewer_province_two_digits",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.province})"


class SelfEvaluation(models.Model):
    """A city's self-evaluation for one evaluation date: the engine's figures as they stood
    when it was last prepared (frozen once submitted: ``figures`` keeps the total, grade and
    amount, the lines each indicator), the city's reasons for each shortfall, and where it
    stands in review (``workflow.SELF_EVALUATION``)."""

    Status = workflow.SelfEvaluationStatus

    participation = models.ForeignKey(
        Participation, on_delete=models.PROTECT, related_name="self_evaluations"
    )
    as_of = models.DateField(_("evaluation date"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    version = models.PositiveIntegerField(default=1)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    prepared_at = models.DateTimeField(_("figures computed at"), null=True, blank=True)
    summary = models.TextField(_("summary of the self-evaluation"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(_("comment to the city"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("self-evaluation")
        verbose_name_plural = _("self-evaluations")
        ordering = ["participation__city__code", "as_of"]
        constraints = [
            models.UniqueConstraint(
                fields=["participation", "as_of"],
                name="self_evaluation_one_per_city_and_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participation} {self.as_of.isoformat()}"


class SelfEvaluationLine(models.Model):
    """One indicator of a self-evaluation: the engine's figures and, for one below its
    pro-rated target (``short``), the city's reason (偏差原因) and measures (整改措施)."""

    self_evaluation = models.ForeignKey(
        SelfEvaluation, on_delete=models.CASCADE, related_name="lines"
    )
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=30)
    status = models.CharField(max_length=20)
    weight = models.DecimalField(max_digits=6, decimal_places=2)
    full_target = models.DecimalField(max_digits=18, decimal_places=4)
    target = models.DecimalField(max_digits=18, decimal_places=4)
    actual = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    attainment = models.DecimalField(max_digits=10, decimal_places=4)
    points = models.DecimalField(max_digits=6, decimal_places=2)
    short = models.BooleanField(default=False)
    shortfall_reason = models.TextField(_("reason for the shortfall"), blank=True)
    measures = models.TextField(_("measures"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["self_evaluation", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["self_evaluation", "indicator"],
                name="self_evaluation_line_one_per_indicator",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.self_evaluation} {self.indicator_id}"


class ProvincialOpinion(models.Model):
    """What a province wrote when it forwarded a report or self-evaluation to the ministry (its
    opinion, 复核意见) or returned it to the city (its reason): one row per step, never changed,
    so the ministry reads every opinion in order."""

    class Step(models.TextChoices):
        FORWARD = "forward", _("forwarded to the ministry")
        SEND_BACK = "send_back", _("returned to the city")

    report = models.ForeignKey(
        Report, null=True, blank=True, on_delete=models.PROTECT, related_name="province_opinions"
    )
    self_evaluation = models.ForeignKey(
        SelfEvaluation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="province_opinions",
    )
    step = models.CharField(_("step"), max_length=10, choices=Step.choices)
    text = models.TextField(_("opinion"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("province's opinion")
        verbose_name_plural = _("province's opinions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(report__isnull=False, self_evaluation__isnull=True)
                | models.Q(report__isnull=True, self_evaluation__isnull=False),
                name="provincial_opinion_on_one_thing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.step}: {self.text[:40]}"
