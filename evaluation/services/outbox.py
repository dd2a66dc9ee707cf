"""Sending Celery tasks without losing them when the broker is down (a transactional outbox)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from config.celery import app
from evaluation.models import OutboxTask

log = logging.getLogger(__name__)

# Failures that pass: the broker (or, for a task run in-process, a server or the database it
# needs) away.
BROKER_DOWN = (BrokerError, OSError, OperationalError, InterfaceError)


def outbox_enqueue(task: str, **kwargs: Any) -> OutboxTask:
    """Record ``task`` in the current transaction and try to send it once that commits."""
    row = OutboxTask.objects.create(task=task, kwargs=kwargs)
    transaction.on_commit(lambda: outbox_dispatch(ids=[row.pk]))
    return row


def outbox_dispatch(*, ids: Sequence[int] | None = None) -> int:
    """Send pending tasks (those given, or all); a broker that does not answer leaves them
    pending for the next attempt. Returns how many were sent."""
    pending = OutboxTask.objects.filter(
        dispatched_at__isnull=True, given_up_at__isnull=True
    ).order_by("pk")
    if ids is not None:
        pending = pending.filter(pk__in=ids)
    sent = 0
    for row in pending:
        with transaction.atomic():
            # Claim the row so that two dispatchers never send it twice.
            claimed = (
                OutboxTask.objects.select_for_update(skip_locked=True)
                .filter(pk=row.pk, dispatched_at__isnull=True)
                .first()
            )
            if claimed is None:
                continue
            try:
                # Through the registered task, so in-process (eager) mode applies too.
                app.tasks[claimed.task].apply_async(kwargs=claimed.kwargs)
            except BROKER_DOWN as exc:  # the broker (or what a task needs) is away: keep it
                claimed.attempts += 1
                claimed.last_error = str(exc)[:2000]
                claimed.save(update_fields=["attempts", "last_error"])
                log.warning("broker unavailable; %s stays pending: %s", claimed, exc)
                return sent
            except Exception as exc:
                # The task itself failed (in-process, on the embedded default) or is unknown:
                # sending it again would fail again. Given up, with its error, for reviewers.
                claimed.attempts += 1
                claimed.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                claimed.given_up_at = timezone.now()
                claimed.save(update_fields=["attempts", "last_error", "given_up_at"])
                log.error("%s given up: %s", claimed, exc)
                continue
            claimed.dispatched_at = timezone.now()
            claimed.attempts += 1
            claimed.save(update_fields=["dispatched_at", "attempts"])
            sent += 1
    return sent
