"""The ministry's spot checks (抽查) and the verified values they find (programme-rules.md,
"Verified values (spot checks)").

A reviewer draws a sample of approved values (``SpotCheck``, its seed recorded so the same seed
and data draw the same sample), or loads a file of verified values (``import_spot_checks``); each
value checked is a ``SpotCheckItem`` whose checker records the verified value with a note and
evidence. The latest check of a value is the one a run reads (an earlier one stays in the
history); a ruleset without the verified-values part reads none."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from evaluation.models.programmes import Programme
from evaluation.models.reporting import MetricValue


class SpotCheck(models.Model):
    """One spot check of a programme's approved values: a sample drawn by a reviewer (its share
    per city and its seed), or the rows of a file of verified values."""

    class Source(models.TextChoices):
        DRAW = "draw", _("sample drawn")
        FILE = "file", _("file loaded")

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="spot_checks", verbose_name=_("programme")
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    share = models.DecimalField(
        _("share per city"),
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The share of each city's approved values drawn (0.10 is one in ten)."),
    )
    seed = models.CharField(
        _("seed"),
        max_length=64,
        blank=True,
        help_text=_("The same seed and the same data draw the same sample."),
    )
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("drawn by"),
    )
    created_at = models.DateTimeField(_("drawn at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("spot check")
        verbose_name_plural = _("spot checks")
        constraints = [
            models.CheckConstraint(
                condition=Q(source="file") | Q(share__gt=0, share__lte=1),
                name="spot_check_a_draw_has_a_share_above_0_up_to_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme.code} #{self.pk}"


def _evidence_path(item: SpotCheckItem, filename: str) -> str:
    return f"evidence/spot-checks/{item.spot_check_id}/{filename}"


class SpotCheckItem(models.Model):
    """An approved value picked by a spot check and, once checked, the checker's verified
    value beside it, with a note and evidence (its SHA-256 recorded)."""

    spot_check = models.ForeignKey(
        SpotCheck, on_delete=models.PROTECT, related_name="items", verbose_name=_("spot check")
    )
    metric_value = models.ForeignKey(
        MetricValue, on_delete=models.PROTECT, related_name="checks", verbose_name=_("value")
    )
    claimed_value = models.DecimalField(
        _("claimed value"),
        max_digits=16,
        decimal_places=2,
        help_text=_("The approved value when it was picked."),
    )
    points_carried = models.DecimalField(
        _("points carried"),
        max_digits=8,
        decimal_places=4,
        default=0,
        help_text=_("The indicator's weight times the value's share of the city's figures."),
    )
    verified_value = models.DecimalField(
        _("verified value"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    evidence_file = models.FileField(
        _("evidence file"), upload_to=_evidence_path, blank=True, max_length=300
    )
    evidence_name = models.CharField(_("evidence file name"), max_length=200, blank=True)
    evidence_sha256 = models.CharField(_("evidence SHA-256"), max_length=64, blank=True)
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("checker"),
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["spot_check", "pk"]
        verbose_name = _("spot-checked value")
        verbose_name_plural = _("spot-checked values")
        constraints = [
            models.UniqueConstraint(
                fields=["spot_check", "metric_value"], name="spot_check_item_a_value_once_per_check"
            ),
            models.CheckConstraint(
                condition=Q(verified_value__isnull=True) | Q(verified_value__gte=0),
                name="spot_check_item_verified_value_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(verified_value__isnull=True, checked_at__isnull=True)
                | Q(verified_value__isnull=False, checked_at__isnull=False),
                name="spot_check_item_a_verified_value_has_its_time",
            ),
        ]

    def __str__(self) -> str:
        value = self.metric_value
        return f"{value.city.code} {value.indicator.code} {value.period}"
