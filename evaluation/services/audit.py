"""The one way a service saves an audited row: checked against the model's rules, with its
history row naming who changed it and why, and, for a protected record (a report, a value, a
run, a decision), its ledger entry, all in the caller's transaction.

Every audited model keeps a django-simple-history snapshot per change; these helpers set the
acting user and the reason on it (one at a time, or many rows at once with one history row
each), so no service hand-sets ``_history_user`` or ``_change_reason``, and no state change of
a protected record can forget its ledger entry (``services.ledger``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Literal, TypeVar

from django.contrib.auth.models import User
from django.db import DEFAULT_DB_ALIAS, models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from evaluation.bulk import insert_rows, insert_rows_returning_ids, left_out_defaults
from evaluation.ledger import PARTS, is_protected, protected_records
from evaluation.reasons import REASON_LENGTH
from evaluation.services.ledger import ledger_append, ledger_append_rows

Model = TypeVar("Model", bound=models.Model)


def _reason(reason: str | None) -> str | None:
    return None if reason is None else reason[:REASON_LENGTH]


# A reason for every row alike, or each row's own (a set-based write across several reports).
Reasons = str | Callable[[Any], str]


def _ledger(
    instances: Sequence[models.Model],
    *,
    by: User | None,
    reason: Reasons | None,
    ledger: bool | str,
) -> None:
    """The ledger entries of the protected records the change touched (a ruleset for a change
    of one of its rules or bands), in the same transaction. ``ledger`` is True for an entry
    saying ``reason``, the entry's own words when the ledger says the step differently, or
    False when the caller writes the entry itself once the whole step is done (a revised
    ruleset) or the change is none the ledger keeps (a run's heartbeat)."""
    if ledger is False:
        return
    action = reason if ledger is True else ledger
    touched = protected_records(instances)
    # A reason of each row's own names that row: it is for rows the ledger keeps themselves,
    # not parts standing for their whole (a rule for its ruleset).
    assert isinstance(action, str | None) or {id(r) for r in touched} <= {
        id(i) for i in instances
    }, instances
    if touched:
        ledger_append(touched, action=action or "", by=by)


def _mark(instance: models.Model, *, by: User | None, reason: str | None) -> None:
    instance._history_user = by  # type: ignore[attr-defined]
    instance._change_reason = _reason(reason)  # type: ignore[attr-defined]


def fields_clean(instance: models.Model) -> None:
    """``full_clean`` without what only the database can answer: the checks of every field but
    the keys, and the model's ``clean``; not the keys (that a related row exists, a query
    each), nor the model's unique and check constraints (a query or two each). For rows a
    service builds itself, its keys from rows it has read and its other fields from input it
    has already checked; the database still enforces every key and constraint."""
    keys = [f.name for f in instance._meta.concrete_fields if f.is_relation]
    instance.full_clean(exclude=keys, validate_unique=False, validate_constraints=False)


def audited_save(
    instance: Model,
    *,
    by: User | None,
    reason: str | None,
    update_fields: Sequence[str] | None = None,
    clean: bool | Literal["fields"] = True,
    ledger: bool | str = True,
    force_insert: bool = False,
) -> Model:
    """Save ``instance`` (after ``full_clean``, unique checks left to the database) with a
    history row naming ``by`` (None: the system) and ``reason`` (None only where a step has
    never recorded one). ``ledger``: see ``_ledger``.

    ``clean="fields"`` is ``fields_clean``: for a step on a row the caller has just read and
    locked, whose keys it did not change and whose state it sets by the workflow table, the
    checks it leaves out are a dozen queries per step that cannot fail."""
    if clean == "fields":
        fields_clean(instance)
    elif clean:
        instance.full_clean(validate_unique=False)
    _mark(instance, by=by, reason=reason)
    if update_fields is not None:
        instance.save(update_fields=list(update_fields))
    elif force_insert:
        instance.save(force_insert=True)
    else:
        instance.save()
    _ledger([instance], by=by, reason=reason, ledger=ledger)
    return instance


def audited_delete(instance: models.Model, *, by: User | None, reason: str) -> None:
    """Delete ``instance`` with a history row ("-") naming ``by`` and ``reason``. Only for
    records the ledger does not keep (a protected record is never deleted by a service)."""
    assert not protected_records([instance]), instance
    _mark(instance, by=by, reason=reason)
    instance.delete()


def _each_reason(instances: Sequence[models.Model], reason: Reasons) -> str | None:
    """Each row's reason, set on the row, where django-simple-history reads it first (so that
    none left on it by an earlier write is taken for this one's); returned as the history's
    default when it is the same for every row."""
    for instance in instances:
        instance._change_reason = _reason(  # type: ignore[attr-defined]
            reason if isinstance(reason, str) else reason(instance)
        )
    return _reason(reason) if isinstance(reason, str) else None


# Up to this many rows, ``audited_bulk_update`` writes with Django's ``bulk_update``: one
# statement whose CASE per field the ORM builds row by row (about 2 ms a row to compile, and
# the database walks it row by row, so its cost grows with the square of the rows). Beyond it,
# with an upsert (``INSERT … ON CONFLICT (id) DO UPDATE`` of the same fields), compiled like
# an insert: a corrected file of 28,800 values took 76 s the first way.
UPDATE_BATCH = 500


def audited_bulk_update(
    instances: Sequence[Model],
    model: type[Model],
    fields: Sequence[str],
    *,
    by: User | None,
    reason: Reasons,
    ledger: bool | str = True,
) -> None:
    """Update ``fields`` of many rows in a few statements, with one history row each
    (``reason``: the same for every row, or a function giving each row's)."""
    if not instances:
        return
    default = _each_reason(instances, reason)
    if len(instances) <= UPDATE_BATCH or _sets_itself(model):
        bulk_update_with_history(
            instances, model, list(fields), default_user=by, default_change_reason=default
        )
    else:
        # An upsert would insert a row ``bulk_update`` refuses or leaves alone: one not saved
        # yet, or the same row twice.
        keys = [instance.pk for instance in instances]
        if None in keys or len(set(keys)) != len(keys):
            raise ValueError(f"{model.__name__}: an update of saved rows, each once")
        with transaction.atomic(savepoint=False):
            model._default_manager.bulk_create(
                instances,
                update_conflicts=True,
                unique_fields=[model._meta.pk.name],
                update_fields=list(fields),
                batch_size=UPDATE_BATCH,
            )
            model.history.bulk_history_create(  # type: ignore[attr-defined]
                instances, update=True, default_user=by, default_change_reason=default
            )
    _ledger(instances, by=by, reason=reason, ledger=ledger)


def _sets_itself(model: type[models.Model]) -> bool:
    """Whether a field of ``model`` sets its own value when the row is written (``auto_now``):
    an upsert writes every field of the row, so it would change it."""
    return any(
        getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        for field in model._meta.concrete_fields
    )


def audited_insert_rows(
    model: type[models.Model],
    rows: Sequence[dict[str, Any]],
    *,
    by: User | None,
    reason: str | Callable[[dict[str, Any]], str],
    ledger: bool | str = True,
    at: datetime | None = None,
) -> list[int]:
    """Insert many new rows given as rows (field attname to value; a field a row leaves out
    takes its default), each with its history row ("+", ``by``, ``at`` or now, ``reason``:
    the same for every row, or a function giving each row's) and, for a protected record, its
    ledger entry, in a few statements whatever their number, without a model object of each
    (``bulk.insert_rows``). Gives back the new keys, in order.

    The same history and entries as :func:`audited_bulk_create` of the model objects: every
    field's value as written (defaults filled in before, so the history holds them too)."""
    if not rows:
        return []
    # A ruleset's part is kept in its ruleset's entry: written through its ruleset's services.
    assert model._meta.label_lower not in PARTS, model
    pk = model._meta.pk
    assert pk is not None
    defaults = left_out_defaults(model, rows[0])
    full = [{**defaults, **row} for row in rows] if defaults else list(rows)
    ids = insert_rows_returning_ids(model, full)
    history = model.history.model  # type: ignore[attr-defined]
    marks = {
        "history_date": at or timezone.now(),
        "history_type": "+",
        "history_user_id": by.pk if by is not None else None,
    }
    reasons = [reason] * len(rows) if isinstance(reason, str) else [reason(row) for row in rows]
    insert_rows(
        history,
        [
            {pk.attname: key, **row, **marks, "history_change_reason": _reason(why)}
            for key, row, why in zip(ids, full, reasons, strict=True)
        ],
    )
    if ledger is not False and is_protected(model):
        ledger_append_rows(
            model,
            [{pk.attname: key, **row} for key, row in zip(ids, full, strict=True)],
            action=ledger if isinstance(ledger, str) else reasons,
            by=by,
        )
    return ids


def audited_bulk_create(
    instances: Sequence[Model],
    model: type[Model],
    *,
    by: User | None,
    reason: Reasons,
    ledger: bool | str = True,
    **options: Any,
) -> list[Model]:
    """Create many rows in a few statements, with one history row each (``reason``: the same
    for every row, or a function giving each row's).

    New objects of a model written whole (not a ruleset's part, whose entry is its ruleset's)
    go as rows (:func:`audited_insert_rows`: each field's value as ``bulk_create`` would
    write it, ``auto_now`` ones included; the keys set on the objects after), without the
    ORM's compiling of every value; with ``options`` (``bulk_create``'s) through
    django-simple-history's ``bulk_create_with_history``."""
    if not instances:
        return []
    if (
        not options
        and model._meta.label_lower not in PARTS
        and all(i.pk is None for i in instances)
    ):
        return _created_as_rows(instances, model, by=by, reason=reason, ledger=ledger)
    default = _each_reason(instances, reason)
    created: list[Model] = bulk_create_with_history(
        instances, model, default_user=by, default_change_reason=default, **options
    )
    _ledger(created, by=by, reason=reason, ledger=ledger)
    return created


def _created_as_rows(
    instances: Sequence[Model],
    model: type[Model],
    *,
    by: User | None,
    reason: Reasons,
    ledger: bool | str,
) -> list[Model]:
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]
    rows = [{f.attname: f.pre_save(instance, True) for f in fields} for instance in instances]
    by_row = (
        reason
        if isinstance(reason, str)
        else {id(row): reason(instance) for row, instance in zip(rows, instances, strict=True)}
    )
    ids = audited_insert_rows(
        model,
        rows,
        by=by,
        reason=by_row if isinstance(by_row, str) else lambda row: by_row[id(row)],
        ledger=ledger,
    )
    for instance, key in zip(instances, ids, strict=True):
        instance.pk = key
        instance._state.adding = False
        instance._state.db = DEFAULT_DB_ALIAS
    return list(instances)
