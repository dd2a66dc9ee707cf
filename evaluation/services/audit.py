"""The one way a service saves an audited row: checked against the model's rules, with its
history row naming who changed it and why, and, for a protected record (a report, a value, a
run, a decision), its ledger entry, all in the caller's transaction.

Every audited model keeps a django-simple-history snapshot per change; these helpers set the
acting user and the reason on it (one at a time, or many rows at once with one history row
each), so no service hand-sets ``_history_user`` or ``_change_reason``, and no state change of
a protected record can forget its ledger entry (``services.ledger``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.db import models
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from evaluation.ledger import protected_records
from evaluation.services.ledger import ledger_append

Model = TypeVar("Model", bound=models.Model)

# simple-history's change-reason column holds at most 100 characters.
REASON_LENGTH = 100


def _reason(reason: str) -> str:
    return reason[:REASON_LENGTH]


def _ledger(instances: Sequence[models.Model], *, by: User | None, reason: str) -> None:
    """The ledger entries of the protected records the change touched (a ruleset for a change
    of one of its rules or bands), in the same transaction."""
    touched = protected_records(instances)
    if touched:
        ledger_append(touched, action=reason, by=by)


def audited_save(
    instance: Model,
    *,
    by: User | None,
    reason: str,
    update_fields: Sequence[str] | None = None,
    clean: bool = True,
) -> Model:
    """Save ``instance`` (after ``full_clean``, unique checks left to the database) with a
    history row naming ``by`` (None: the system) and ``reason``."""
    if clean:
        instance.full_clean(validate_unique=False)
    instance._history_user = by  # type: ignore[attr-defined]
    instance._change_reason = _reason(reason)  # type: ignore[attr-defined]
    if update_fields is None:
        instance.save()
    else:
        instance.save(update_fields=list(update_fields))
    _ledger([instance], by=by, reason=reason)
    return instance


def audited_bulk_update(
    instances: Sequence[Model],
    model: type[Model],
    fields: Sequence[str],
    *,
    by: User | None,
    reason: str,
) -> None:
    """Update ``fields`` of many rows in a few statements, with one history row each."""
    if instances:
        bulk_update_with_history(
            instances, model, list(fields), default_user=by, default_change_reason=_reason(reason)
        )
        _ledger(instances, by=by, reason=reason)


def audited_bulk_create(
    instances: Sequence[Model], model: type[Model], *, by: User | None, reason: str, **options: Any
) -> list[Model]:
    """Create many rows in a few statements, with one history row each."""
    if not instances:
        return []
    created: list[Model] = bulk_create_with_history(
        instances, model, default_user=by, default_change_reason=_reason(reason), **options
    )
    _ledger(created, by=by, reason=reason)
    return created
