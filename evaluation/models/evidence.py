"""Evidence (佐证材料) on a city's report and its values, and the values a reviewer returned.

A file of evidence is attached to a report, and to one of its values or to the report as a
whole; several per value. Its bytes are kept through the ``evidence`` storage (the filesystem by
default, an S3-compatible bucket in production: ``settings.STORAGES``), named by their SHA-256,
which the record keeps (and with it its history and the ledger), so a file swapped behind the
application's back is seen. A file is never deleted: removing it marks it removed (who, when),
and a file on an approved value cannot be removed at all."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.db import models
from django.db.models import Q
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from evaluation.models.labels import label
from evaluation.models.reporting import MetricValue, Report


class _EvidenceStorage(LazyObject):
    """``storages["evidence"]``, looked up when first used (and again after the setting
    changes, as a test that points it at a bucket does)."""

    def _setup(self) -> None:
        self._wrapped = storages["evidence"]


_storage = _EvidenceStorage()


@receiver(setting_changed)
def _storages_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "STORAGES":
        _storage._wrapped = empty  # type: ignore[assignment]


def evidence_storage() -> Storage:
    return _storage  # type: ignore[return-value]


def evidence_path(instance: Evidence, filename: str) -> str:
    """Per city and report, the file named by its digest: never a public address."""
    return f"evidence/reports/{instance.report.city_id}/{instance.report_id}/{instance.sha256}"


class Evidence(models.Model):
    """One file of evidence on a report (``value`` None) or on one of its values."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="evidence")
    value = models.ForeignKey(
        MetricValue, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence"
    )
    file = models.FileField(upload_to=evidence_path, storage=evidence_storage, max_length=300)
    name = models.CharField(max_length=200, help_text=_("The file's name as uploaded."))
    kind = models.CharField(max_length=10, help_text=_("The file's type, read from its content."))
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["report", "value", "uploaded_at", "id"]
        verbose_name_plural = "evidence"
        constraints = [
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="evidence_sha256_is_a_digest"
            ),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=True, removed_by__isnull=True)
                | Q(removed_at__isnull=False, removed_by__isnull=False),
                name="evidence_removal_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sha256[:12]})"


class ValueReturn(models.Model):
    """A value a reviewer returned to the city, with the reason: the report goes back to the
    city, and only these values (and the evidence) may change until it is submitted again.
    ``value_then`` is the value as returned, for the diff the reviewer reads on resubmission;
    ``resubmitted_at`` is set when the city sends the report back."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="value_returns")
    value = models.ForeignKey(MetricValue, on_delete=models.PROTECT, related_name="returns")
    reason = models.TextField(max_length=1000)
    value_then = models.DecimalField(max_digits=16, decimal_places=2)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    returned_at = models.DateTimeField()
    resubmitted_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["report", "returned_at", "value__indicator__position", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="value_return_has_a_reason"),
            models.UniqueConstraint(
                fields=["value"],
                condition=Q(resubmitted_at__isnull=True),
                name="value_return_one_open_per_value",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.value}: {self.reason[:40]}"


label(
    Evidence,
    _("evidence file"),
    _("evidence files"),
    report=_("report"),
    value=_("value"),
    file=_("file"),
    name=_("file name"),
    kind=_("file type"),
    size=_("size (bytes)"),
    sha256=_("SHA-256"),
    uploaded_by=_("uploaded by"),
    uploaded_at=_("uploaded at"),
    removed_by=_("removed by"),
    removed_at=_("removed at"),
)
label(
    ValueReturn,
    _("returned value"),
    _("returned values"),
    report=_("report"),
    value=_("value"),
    reason=_("reason"),
    value_then=_("value when returned"),
    returned_by=_("returned by"),
    returned_at=_("returned at"),
    resubmitted_at=_("resubmitted at"),
)
