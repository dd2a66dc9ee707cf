"""The ledger: every state change of a protected record (a report, a metric value, a run, a
tranche decision and its sign-off, a ruleset) as one entry, appended by the service that made
the change, in its transaction. Each entry's digest covers the entry before it, as a
transparency log or git does, so an entry altered, removed or inserted breaks the chain from
there on (``evaluation.ledger.ledger_check``). On PostgreSQL the table refuses UPDATE and
DELETE (a trigger, migration ``0024_ledger``)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class LedgerEntry(models.Model):
    class Subject(models.TextChoices):
        REPORT = "report", _("report")
        VALUE = "metricvalue", _("metric value")
        RUN = "run", _("evaluation run")
        DECISION = "decision", _("tranche decision")
        RULESET = "ruleset", _("ruleset")
        EVIDENCE = "evidence", _("evidence file")
        VERIFIED_VALUE = "verifiedvalue", _("verified value")

    # Numbered by the ledger itself (1, 2, 3…), so that a gap is a removed entry.
    seq = models.PositiveBigIntegerField(primary_key=True)
    at = models.DateTimeField()
    subject = models.CharField(max_length=20, choices=Subject.choices)
    object_id = models.PositiveBigIntegerField()
    action = models.CharField(
        max_length=200, help_text=_("What the service did, as the history says it.")
    )
    # The acting person by number and login, not by a foreign key: the ledger never changes
    # when people do.
    actor = models.PositiveIntegerField(null=True, blank=True)
    actor_name = models.CharField(max_length=150, blank=True)
    state = models.TextField(help_text=_("The record's protected fields after the change (JSON)."))
    # ``previous`` is unique (a constraint of the table: two entries cannot claim the same
    # predecessor, so the chain cannot fork); a digest is unique because it covers ``seq``,
    # the key. Neither is searched by: no index beyond the constraint's (an index on random
    # digests is costly to grow, and each entry of a large load writes every one of them).
    previous = models.CharField(max_length=64)
    digest = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["subject", "object_id", "seq"], name="ledger_subject_object"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(seq__gte=1), name="ledger_numbered_from_one"),
            models.UniqueConstraint(fields=["previous"], name="ledger_one_successor"),
            models.CheckConstraint(
                condition=Q(previous__regex=r"^[0-9a-f]{64}$") & Q(digest__regex=r"^[0-9a-f]{64}$"),
                name="ledger_digests_are_sha256",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.subject} {self.object_id}: {self.action}"
