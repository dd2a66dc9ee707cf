"""Every run ends: a chunk that fails is sent again or fails the run with its reason, a run
with no progress is re-queued by the sweep, and a failed run can be restarted by a reviewer.

A run's chunks are fixed in its plan (``RunChunk``) when it starts, so whatever is sent again
scores the same cities; a city already scored is skipped, so sending too much is harmless.
What could otherwise stay "running" for ever (a message Redis lost, a chunk that raises, a
chunk that kills its worker every time) is bounded by ``EVALUATION_MAX_DELIVERIES`` and
noticed by the sweep within ``EVALUATION_STALL_SECONDS`` plus one sweep interval."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import User
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from evaluation import access
from evaluation.exceptions import Locked
from evaluation.models import CityResult, EvaluationRun, RunChunk
from evaluation.reasons import history_reason
from evaluation.services.audit import audited_save
from evaluation.services.outbox import outbox_enqueue
from evaluation.services.runs import (
    _fail,
    chunk_delivery_lost,
    chunk_over_limit,
    evaluation_run_finish,
    start_over_limit,
)

CHUNK_TASK = "evaluation.tasks.evaluate_chunk"
START_TASK = "evaluation.tasks.run_evaluation"


def _requeue(chunks: list[RunChunk], now: dt.datetime) -> None:
    """Send the chunks again, through the outbox (a broker down delays them, loses nothing)."""
    for chunk in chunks:
        outbox_enqueue(CHUNK_TASK, run_id=chunk.run_id, number=chunk.number)
    RunChunk.objects.filter(pk__in=[c.pk for c in chunks]).update(queued_at=now)


def evaluation_chunk_failed(*, run_id: int, number: int, error: str, final: bool) -> None:
    """A delivery of the chunk raised ``error``. ``final``: no retry follows (an error no
    retry cures, or the retries used up): send the chunk again, or fail the run once it has
    had its deliveries. Otherwise the error is only recorded for the reason."""
    with transaction.atomic():
        run = EvaluationRun.objects.select_for_update().get(pk=run_id)
        chunk = RunChunk.objects.select_for_update().get(run=run, number=number)
        chunk.last_error = error[:2000]
        chunk.last_error_delivery = chunk.deliveries
        chunk.save(update_fields=["last_error", "last_error_delivery"])
        if not final or run.status != EvaluationRun.Status.RUNNING:
            return
        if chunk.status == RunChunk.Status.DONE:
            return
        limit = settings.EVALUATION_MAX_DELIVERIES
        if chunk.deliveries >= limit:
            _fail(run, [chunk_over_limit(chunk, run.chunks.count(), limit)])
        else:
            _requeue([chunk], timezone.now())


def evaluation_runs_sweep(*, now: dt.datetime | None = None) -> list[int]:
    """Look after every queued or running run without progress for
    ``EVALUATION_STALL_SECONDS``: send its start or its unstored chunks again, finish it if
    everything is stored, or fail it with the reason when something has had its deliveries.
    Returns the runs acted on. Safe to run anywhere, any number of times at once."""
    now = now or timezone.now()
    stalled_since = now - dt.timedelta(seconds=settings.EVALUATION_STALL_SECONDS)
    stalled = Q(status__in=[EvaluationRun.Status.QUEUED, EvaluationRun.Status.RUNNING]) & (
        Q(heartbeat_at__lt=stalled_since)
        | Q(heartbeat_at__isnull=True, created_at__lt=stalled_since)
    )
    acted = []
    for run_id in EvaluationRun.objects.filter(stalled).values_list("pk", flat=True):
        with transaction.atomic():
            # Another sweep, or a worker recording progress, holds it: leave it to them.
            run = (
                EvaluationRun.objects.select_for_update(skip_locked=True)
                .filter(stalled, pk=run_id)
                .first()
            )
            if run is None:
                continue
            _sweep_one(run, now)
            acted.append(run.pk)
    return acted


def _sweep_one(run: EvaluationRun, now: dt.datetime) -> None:
    limit = settings.EVALUATION_MAX_DELIVERIES
    quiet = settings.EVALUATION_STALL_SECONDS
    if run.status == EvaluationRun.Status.QUEUED:
        if run.start_deliveries >= limit:
            _fail(run, [start_over_limit(run, limit)])
            return
        outbox_enqueue(START_TASK, run_id=run.pk)
        _sweep_record(run, now, history_reason("run_start_resent", seconds=quiet))
        return
    if not run.chunks.exists():
        _fail(
            run,
            [
                gettext(
                    "the run started before runs kept their plan and cannot be followed: restart it"
                )
            ],
        )
        return
    pending = list(run.chunks.filter(status=RunChunk.Status.PENDING).order_by("number"))
    if not pending:
        try:
            finished = evaluation_run_finish(run_id=run.pk)
        except (OperationalError, InterfaceError):
            raise  # a lost connection: the sweep task retries, the next sweep finishes it
        except Exception as exc:  # anything else would fail again at every sweep
            _fail(
                run,
                [gettext("finishing the run failed: {error}").format(error=f"{exc!r}"[:2000])],
            )
            return
        if finished.status == EvaluationRun.Status.RUNNING:
            scored = CityResult.objects.filter(run=run).count()
            _fail(
                finished,
                [
                    gettext(
                        "every chunk of the plan is stored but only {scored} of {total} cities "
                        "were scored (a city left the programme during the run?)"
                    ).format(scored=scored, total=run.cities_total)
                ],
            )
        return
    spent = [chunk for chunk in pending if chunk.deliveries >= limit]
    if spent:
        total = run.chunks.count()
        for chunk in spent:
            if chunk.last_error_delivery != chunk.deliveries:
                chunk_delivery_lost(chunk)
                chunk.save(update_fields=["last_error", "last_error_delivery"])
        _fail(run, [chunk_over_limit(chunk, total, limit) for chunk in spent])
        return
    _requeue(pending, now)
    _sweep_record(
        run,
        now,
        history_reason(
            "run_chunks_resent",
            chunks=", ".join(str(c.number) for c in pending),
            seconds=quiet,
        ),
    )


def _sweep_record(run: EvaluationRun, now: dt.datetime, reason: str) -> None:
    run.heartbeat_at = now
    audited_save(
        run, by=None, reason=reason, update_fields=["heartbeat_at"], clean=False, ledger=False
    )


def evaluation_run_restart(*, run: EvaluationRun, by: User) -> EvaluationRun:
    """A reviewer sends a failed run on again: on its own plan (cities already scored stay,
    each unstored chunk gets its deliveries afresh), or from its start if it failed before
    it had one. The failure stays in the run's history."""
    access.require_reviewer(by)
    with transaction.atomic():
        locked = EvaluationRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != EvaluationRun.Status.FAILED:
            raise Locked(
                gettext("only a failed run can be restarted; run #{id} is {status}").format(
                    id=locked.pk, status=locked.get_status_display()
                ),
                "run_not_failed",
            )
        now = timezone.now()
        pending = list(locked.chunks.filter(status=RunChunk.Status.PENDING).order_by("number"))
        has_plan = locked.chunks.exists()
        locked.status = EvaluationRun.Status.RUNNING if has_plan else EvaluationRun.Status.QUEUED
        locked.error = ""
        locked.finished_at = None
        locked.heartbeat_at = now
        locked.start_deliveries = 0
        locked.start_last_error = ""
        locked.full_clean()
        audited_save(
            locked,
            by=by,
            reason=history_reason("run_restarted"),
            clean=False,
            ledger="restarted by a reviewer",
        )
        if has_plan:
            RunChunk.objects.filter(pk__in=[c.pk for c in pending]).update(
                deliveries=0, last_error_delivery=None
            )
            _requeue(pending, now)
            if not pending:
                transaction.on_commit(lambda: evaluation_run_finish(run_id=locked.pk))
        else:
            outbox_enqueue(START_TASK, run_id=locked.pk)
    return locked


def evaluation_start_retried(*, run_id: int, error: str) -> None:
    """The run's start raised ``error`` and is retried: kept for the reason, should its
    deliveries run out before its retries."""
    EvaluationRun.objects.filter(pk=run_id, status=EvaluationRun.Status.QUEUED).update(
        start_last_error=error[:2000]
    )


def evaluation_start_failed(*, run_id: int, error: str) -> None:
    """The run's start raised ``error`` and no retry follows. Before the plan is stored the
    run fails with it; after, only sending the chunks failed, which the sweep does again."""
    with transaction.atomic():
        run = EvaluationRun.objects.select_for_update().get(pk=run_id)
        if run.status == EvaluationRun.Status.QUEUED:
            _fail(run, [gettext("the run's start failed: {error}").format(error=error[:2000])])
