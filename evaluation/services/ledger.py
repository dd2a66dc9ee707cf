"""Appending to the ledger: each service that changes a protected record (a report, a value, a
run, a decision, a ruleset) calls ``ledger_append`` in its own transaction, after the change.
The entries are chained one after the other, so appends are serialised: on PostgreSQL by a
transaction-level advisory lock, on SQLite by its single writer; a second entry claiming the
same predecessor is refused by the database all the same (``previous`` is unique)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, models, transaction
from django.utils import timezone

from evaluation.bulk import insert_rows, left_out_defaults
from evaluation.ledger import (
    FIELDS,
    GENESIS,
    SUBJECTS,
    RowStateTexts,
    entry_digests,
    ledger_moment,
    state_of,
    state_text,
    subject_of,
)
from evaluation.models import LedgerEntry, Ruleset

# pg_advisory_xact_lock's key for "the ledger's head" (any constant no other lock uses).
HEAD_LOCK = 0x1ED6E5


def ledger_append(
    changed: models.Model | Iterable[models.Model],
    *,
    action: str | Callable[[models.Model], str],
    by: User | None,
) -> None:
    """One entry per changed record, with its state after the change, who did it and why
    (``action``: the same words for every record, or each record's own, as one append)."""
    records = [changed] if isinstance(changed, models.Model) else list(changed)
    if records:

        def entries() -> list[tuple[str, int, str, str]]:
            # Read under the ledger's lock (a ruleset's state reads its rules, bands and tasks
            # from the database).
            text_of = _StateTexts()
            return [
                (
                    subject_of(record),
                    record.pk,
                    text_of(record),
                    action if isinstance(action, str) else action(record),
                )
                for record in records
            ]

        _append(entries, by)


class _StateTexts:
    """``state_text(_state(record))`` of many records: a ruleset's with its parts; any other's
    as its fields' row (``RowStateTexts``, one per model: ``state_of`` writes each field as
    ``value_text`` of its value, as ``row_state`` does of a row of the same values)."""

    def __init__(self) -> None:
        self.rows: dict[type[models.Model], RowStateTexts] = {}

    def __call__(self, record: models.Model) -> str:
        if isinstance(record, Ruleset):
            return state_text(_state(record))
        model = type(record)
        try:
            text_of = self.rows[model]
        except KeyError:
            text_of = self.rows[model] = RowStateTexts(subject_of(record), model)
        return text_of({name: getattr(record, name) for name in text_of.names})


def ledger_append_rows(
    model: type[models.Model],
    rows: Iterable[Mapping[str, Any]],
    *,
    action: str | Sequence[str],
    by: User | None,
) -> None:
    """:func:`ledger_append` for records written as rows (field attname to value, with the
    ``id`` the database gave; a field a row leaves out has its default), without making a
    model object of each: the same entries, for the set-based writes of an import. ``action``:
    the same words for every row, or each row's, in order."""
    subject = SUBJECTS[model._meta.label_lower]
    defaults = {
        name: value
        for name, value in left_out_defaults(model, ()).items()
        if name in FIELDS[subject]
    }
    given = list(rows)
    actions = [action] * len(given) if isinstance(action, str) else list(action)
    if len(actions) != len(given):
        raise ValueError(f"{len(given)} rows, {len(actions)} actions")
    if given:
        text_of = RowStateTexts(subject, model)
        _append(
            lambda: [
                (subject, row["id"], text_of({**defaults, **row}), why)
                for row, why in zip(given, actions, strict=True)
            ],
            by,
        )


def _state(record: models.Model) -> dict[str, Any]:
    subject = subject_of(record)
    if isinstance(record, Ruleset):
        return state_of(
            subject,
            record,
            rules=record.rules.all(),
            bands=record.bands.all(),
            tasks=record.tasks.all(),
        )
    return state_of(subject, record)


def _append(entries_of: Callable[[], list[tuple[str, int, str, str]]], by: User | None) -> None:
    """Chain the entries ``entries_of`` gives (subject, object id, state text, action), made
    once the ledger's head is locked. In the caller's transaction, without a savepoint of its
    own (two statements fewer per append): an entry that fails fails the whole change."""
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [HEAD_LOCK])
        entries = [
            (subject, object_id, action[:200], state)
            for subject, object_id, state, action in entries_of()
        ]
        seq, previous = LedgerEntry.objects.order_by("-seq").values_list(
            "seq", "digest"
        ).first() or (
            0,
            GENESIS,
        )
        at = ledger_moment(timezone.now())
        actor, actor_name = (by.pk, by.get_username()) if by is not None else (None, "")
        chain = entry_digests(
            entries, seq=seq, previous=previous, at=at, actor=actor, actor_name=actor_name
        )
        insert_rows(
            LedgerEntry,
            [
                {
                    "seq": seq,
                    "at": at,
                    "subject": subject,
                    "object_id": object_id,
                    "action": action,
                    "actor": actor,
                    "actor_name": actor_name,
                    "state": state,
                    "previous": previous,
                    "digest": digest,
                }
                for (subject, object_id, action, state), (seq, previous, digest) in zip(
                    entries, chain, strict=True
                )
            ],
        )
