"""Celery tasks: take ids, call a service, nothing else."""

from typing import Any

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

from evaluation import testhook
from evaluation.services.runs import (
    evaluation_chunk_alone,
    evaluation_chunk_execute,
    evaluation_chunk_queued,
    evaluation_run_start,
)

# A worker that dies mid-task has the task redelivered (acks_late, reject_on_worker_lost); the
# services make every step safe to run twice, count the deliveries, and the sweep re-queues
# what never comes back. Only transient database errors are retried.
TRANSIENT = (OperationalError, InterfaceError)
# Fanning a run out also publishes to the broker; a run whose chunks are re-queued skips the
# cities already scored.
FAN_OUT_TRANSIENT = (*TRANSIENT, BrokerError)


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class StartTask(Task):  # type: ignore[type-arg]
    def on_retry(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        from evaluation.services.recovery import evaluation_start_retried

        evaluation_start_retried(run_id=_arg(args, kwargs, 0, "run_id"), error=_error(exc))

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        """No retry cures it, or the retries are used up: the run fails with the error (or,
        if its plan is stored, the sweep sends the chunks not sent yet)."""
        from evaluation.services.recovery import evaluation_start_failed

        evaluation_start_failed(run_id=_arg(args, kwargs, 0, "run_id"), error=_error(exc))


class ChunkTask(Task):  # type: ignore[type-arg]
    def on_retry(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        from evaluation.services.recovery import evaluation_chunk_failed

        evaluation_chunk_failed(
            run_id=_arg(args, kwargs, 0, "run_id"),
            number=_arg(args, kwargs, 1, "number"),
            error=_error(exc),
            final=False,
        )

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        """No retry cures it, or the retries are used up: the chunk is sent again until it has
        had its deliveries, then the run fails with the reason."""
        from evaluation.services.recovery import evaluation_chunk_failed

        evaluation_chunk_failed(
            run_id=_arg(args, kwargs, 0, "run_id"),
            number=_arg(args, kwargs, 1, "number"),
            error=_error(exc),
            final=True,
        )


def _arg(args: Any, kwargs: Any, position: int, name: str) -> int:
    return int(kwargs[name] if name in kwargs else args[position])


@shared_task(
    base=StartTask,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=FAN_OUT_TRANSIENT,
    retry_backoff=True,
    max_retries=5,
)
def run_evaluation(run_id: int) -> int:
    """Start a run and fan it out: one task per chunk of its plan, shared by the workers (a
    plan of one chunk is scored here, by this worker)."""
    numbers = evaluation_chunk_alone(run_id=run_id, numbers=evaluation_run_start(run_id=run_id))
    for sent, number in enumerate(numbers, start=1):
        evaluate_chunk.delay(run_id, number)
        evaluation_chunk_queued(run_id=run_id, number=number)
        testhook.reached("start-queued", sent)
    return len(numbers)


@shared_task(
    base=ChunkTask,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=5,
)
def evaluate_chunk(run_id: int, number: int) -> None:
    evaluation_chunk_execute(run_id=run_id, number=number)


@shared_task(acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3)
def sweep_evaluation_runs() -> list[int]:
    """Every run ends: re-queue or fail the runs that have made no progress for a while."""
    from evaluation.services.recovery import evaluation_runs_sweep

    return evaluation_runs_sweep()


@shared_task(acks_late=True, autoretry_for=TRANSIENT, max_retries=5)
def run_midterm_evaluation(programme: str) -> int:
    """The scheduled official mid-term run of a programme (as of its mid-term date)."""
    from evaluation.models import EvaluationRun, Programme
    from evaluation.services.runs import evaluation_run_scheduled

    subject = Programme.objects.get(code=programme)
    return evaluation_run_scheduled(
        programme=subject, kind=EvaluationRun.Kind.OFFICIAL, as_of=subject.midterm_as_of
    ).pk


@shared_task(acks_late=True, autoretry_for=TRANSIENT, max_retries=5)
def run_provisional_evaluations() -> list[int]:
    """The nightly provisional run of every active programme, as of today."""
    from django.utils import timezone

    from evaluation.models import EvaluationRun, Programme
    from evaluation.services.runs import evaluation_run_scheduled

    return [
        evaluation_run_scheduled(
            programme=programme, kind=EvaluationRun.Kind.PROVISIONAL, as_of=timezone.localdate()
        ).pk
        for programme in Programme.objects.filter(is_active=True, rulesets__isnull=False).distinct()
    ]


@shared_task(acks_late=True, autoretry_for=TRANSIENT, max_retries=5)
def send_report_reminders() -> int:
    from django.utils import timezone

    from evaluation.services.reminders import reminders_send

    return reminders_send(today=timezone.localdate())


@shared_task(acks_late=True, autoretry_for=(*TRANSIENT, OSError), retry_backoff=True, max_retries=5)
def send_city_reminder(reminder_id: int) -> bool:
    """A reviewer's reminder to a city's officials (sent once)."""
    from evaluation.services.reminders import city_reminder_send

    return city_reminder_send(reminder_id=reminder_id)


@shared_task(acks_late=True, autoretry_for=(*TRANSIENT, OSError), retry_backoff=True, max_retries=5)
def notify_reviewers(report_id: int, version: int) -> bool:
    """A submission's follow-up: tell the reviewers (once per submitted version)."""
    from evaluation.services.reporting import reviewers_notify

    return reviewers_notify(report_id=report_id, version=version)


@shared_task(acks_late=True, autoretry_for=(*TRANSIENT, OSError), retry_backoff=True, max_retries=5)
def notify_officials(report_id: int, version: int, kind: str) -> int:
    """A review's follow-up: tell the city's officials, each in their language."""
    from evaluation.services.notices import officials_notify

    return officials_notify(report_id=report_id, version=version, kind=kind)


@shared_task(acks_late=True, autoretry_for=(*TRANSIENT, OSError), retry_backoff=True, max_retries=5)
def notify_comment(comment_id: int) -> int:
    """A message in a report's conversation: tell the other side (once)."""
    from evaluation.services.notices import comment_notify

    return comment_notify(comment_id=comment_id)


@shared_task(acks_late=True, autoretry_for=(*TRANSIENT, OSError), retry_backoff=True, max_retries=5)
def notify_suspension(suspension_id: int, event: str) -> int:
    """A payment suspended or its suspension lifted: tell the city's officials."""
    from evaluation.services.monitoring import suspension_notify

    return suspension_notify(suspension_id=suspension_id, event=event)


@shared_task(acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def dispatch_outbox() -> int:
    """Send the tasks that could not be sent when they were asked for (broker down)."""
    from evaluation.services.outbox import outbox_dispatch

    return outbox_dispatch()


@shared_task(acks_late=True, autoretry_for=TRANSIENT, max_retries=5)
def send_rectification_reminders() -> int:
    """Remind cities of their rectification items before and after each due date (each item
    and step once)."""
    from django.utils import timezone

    from evaluation.services.rectification import rectification_reminders_send

    return rectification_reminders_send(today=timezone.localdate())
