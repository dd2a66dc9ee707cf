"""What a run that has not ended is waiting for, in words: for ``evaluate`` when it stops
waiting, and for the admin's run page. A read: it changes nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from evaluation.models import CityResult, EvaluationRun, OutboxTask, RunChunk


@dataclass(frozen=True)
class RunProgress:
    status: str
    scored: int
    total: int | None
    waiting_for: str  # why it has not ended yet ("" once it has)


def run_progress(*, run: EvaluationRun, now: dt.datetime | None = None) -> RunProgress:
    now = now or timezone.now()
    scored = CityResult.objects.filter(run=run).count()
    return RunProgress(
        status=run.status,
        scored=scored,
        total=run.cities_total,
        waiting_for=_waiting_for(run, now),
    )


def _seconds(since: dt.datetime | None, now: dt.datetime) -> int:
    return 0 if since is None else max(0, int((now - since).total_seconds()))


def _sweep_note(run: EvaluationRun, now: dt.datetime) -> str:
    stall = settings.EVALUATION_STALL_SECONDS
    left = max(0, stall - _seconds(run.heartbeat_at or run.created_at, now))
    return gettext(
        "the sweep sends it again once the run has had no progress for {stall} s (in about "
        "{left} s, plus up to {sweep} s until the next sweep)"
    ).format(stall=stall, left=left, sweep=settings.EVALUATION_SWEEP_SECONDS)


def _waiting_for(run: EvaluationRun, now: dt.datetime) -> str:
    if run.status in (EvaluationRun.Status.SUCCEEDED, EvaluationRun.Status.FAILED):
        return ""
    if run.status == EvaluationRun.Status.QUEUED:
        unsent = (
            OutboxTask.objects.filter(
                task="evaluation.tasks.run_evaluation",
                kwargs__run_id=run.pk,
                dispatched_at__isnull=True,
            )
            .order_by("-pk")
            .first()
        )
        if unsent is not None and unsent.attempts:
            return gettext(
                "its start could not be sent to the broker yet ({error}); the outbox dispatch "
                "tries again every minute"
            ).format(error=unsent.last_error[:200])
        if run.start_deliveries == 0:
            return gettext(
                "no worker has taken its start in {seconds} s: is a Celery worker running and "
                'reading the queue "{queue}"?'
            ).format(
                seconds=_seconds(run.created_at, now), queue=settings.CELERY_TASK_DEFAULT_QUEUE
            )
        return gettext(
            "a worker took its start and it has not come back (the worker stopped?); {sweep}"
        ).format(sweep=_sweep_note(run, now))
    pending = list(run.chunks.filter(status=RunChunk.Status.PENDING).order_by("number"))
    taken = [chunk for chunk in pending if chunk.deliveries]
    if taken:
        chunk = min(taken, key=lambda c: c.last_delivered_at or now)
        return ngettext(
            "chunk {number} (cities {cities}) was taken by a worker {seconds} s ago and has not "
            "come back yet, with {others} other chunk to score: if its worker stopped, it waits "
            "for redelivery; {sweep}",
            "chunk {number} (cities {cities}) was taken by a worker {seconds} s ago and has not "
            "come back yet, with {others} other chunks to score: if its worker stopped, it waits "
            "for redelivery; {sweep}",
            len(pending) - 1,
        ).format(
            number=chunk.number,
            cities=", ".join(chunk.city_codes),
            seconds=_seconds(chunk.last_delivered_at, now),
            others=len(pending) - 1,
            sweep=_sweep_note(run, now),
        )
    return ngettext(
        "{count} chunk waits in the queue and no worker has taken it in {seconds} s: is a "
        'Celery worker running and reading the queue "{queue}"?',
        "{count} chunks wait in the queue and no worker has taken any in {seconds} s: is a "
        'Celery worker running and reading the queue "{queue}"?',
        len(pending),
    ).format(
        count=len(pending),
        seconds=_seconds(run.heartbeat_at, now),
        queue=settings.CELERY_TASK_DEFAULT_QUEUE,
    )
