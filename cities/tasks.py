"""Thin Celery tasks of the portal: they take ids and call a service."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

TRANSIENT = (OperationalError, InterfaceError)


@shared_task(acks_late=True, autoretry_for=(*TRANSIENT, OSError), retry_backoff=True, max_retries=5)
def notify_officials(report_id: int, version: int, kind: str) -> int:
    """A review's follow-up: tell the city's officials, each in their language."""
    from cities.notifications import officials_notify

    return officials_notify(report_id=report_id, version=version, kind=kind)
