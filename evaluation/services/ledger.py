"""Appending to the ledger: each service that changes a protected record (a report, a value, a
run, a decision, a ruleset) calls ``ledger_append`` in its own transaction, after the change.
The entries are chained one after the other, so appends are serialised: on PostgreSQL by a
transaction-level advisory lock, on SQLite by its single writer; a second entry claiming the
same predecessor is refused by the database all the same (``previous`` is unique)."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import connection, models, transaction
from django.utils import timezone

from evaluation.bulk import insert_rows
from evaluation.ledger import (
    GENESIS,
    entry_digest,
    ledger_moment,
    state_of,
    state_text,
    subject_of,
)
from evaluation.models import LedgerEntry, Ruleset

# pg_advisory_xact_lock's key for "the ledger's head" (any constant no other lock uses).
HEAD_LOCK = 0x1ED6E5


def ledger_append(
    changed: models.Model | Iterable[models.Model], *, action: str, by: User | None
) -> None:
    """One entry per changed record, with its state after the change, who did it and why."""
    records = [changed] if isinstance(changed, models.Model) else list(changed)
    if not records:
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [HEAD_LOCK])
        seq, previous = LedgerEntry.objects.order_by("-seq").values_list(
            "seq", "digest"
        ).first() or (
            0,
            GENESIS,
        )
        at = ledger_moment(timezone.now())
        actor, actor_name = (by.pk, by.get_username()) if by is not None else (None, "")
        rows = []
        for record in records:
            subject = subject_of(record)
            if isinstance(record, Ruleset):
                state = state_of(
                    subject,
                    record,
                    rules=record.rules.all(),
                    bands=record.bands.all(),
                    tasks=record.tasks.all(),
                )
            else:
                state = state_of(subject, record)
            seq += 1
            row = {
                "seq": seq,
                "at": at,
                "subject": subject,
                "object_id": record.pk,
                "action": action[:200],
                "actor": actor,
                "actor_name": actor_name,
                "state": state_text(state),
                "previous": previous,
            }
            row["digest"] = previous = entry_digest(**row)
            rows.append(row)
        insert_rows(LedgerEntry, rows)
