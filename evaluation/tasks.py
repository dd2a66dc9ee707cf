"""Celery tasks: take ids, call a service, nothing else."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from evaluation.services.runs import evaluation_run_execute


@shared_task(
    acks_late=True,
    # A worker that dies mid-run has its task redelivered; the service is idempotent.
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def run_evaluation(run_id: int) -> str:
    run = evaluation_run_execute(run_id=run_id)
    return str(run.status)
