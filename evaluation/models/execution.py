"""How a run is carried out: its plan of chunks, fixed when it starts.

The plan is stored so that a redelivered start, a redelivered chunk and a chunk re-queued by
the sweep all work on the same cities and boundaries, whatever was imported in between."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from evaluation.models.runs import EvaluationRun


class RunChunk(models.Model):
    """One chunk of a run's plan: the cities one task scores, and how often it was delivered."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DONE = "done", _("done")

    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField(help_text=_("Its place in the run's plan, from 1."))
    participation_ids = models.JSONField(help_text=_("The participations it scores, in order."))
    city_codes = models.JSONField(help_text=_("Their cities' codes, to name them in a reason."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    deliveries = models.PositiveIntegerField(
        default=0, help_text=_("How many times a worker began scoring it.")
    )
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When its task was last sent to the broker.")
    )
    last_delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_delivery = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("The delivery the last error belongs to.")
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="run_chunk_number_unique"),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(finished_at__isnull=False),
                name="run_chunk_done_has_finished_at",
            ),
        ]

    def __str__(self) -> str:
        return gettext("chunk %(number)s of run #%(run)s") % {
            "number": self.number,
            "run": self.run_id,
        }
