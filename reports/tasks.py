"""Celery tasks of the reports: take ids, call a service, nothing else."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from evaluation.tasks import TRANSIENT
from reports.documents import document_build


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=5,
)
def build_document(document_id: int) -> str:
    """Build a kept document (safe to run twice: a built document is left alone). A bundle of
    every city's scorecard that outlasts the task's time limit carries on in a new task: each
    scorecard made so far is kept, so it starts where this one stopped."""
    try:
        return document_build(document_id=document_id).status
    except SoftTimeLimitExceeded:
        build_document.delay(document_id)
        return "continued"


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=5,
)
def compare_draft(comparison_id: int) -> str:
    """Compare a draft ruleset with the published one (safe to run twice: a finished
    comparison is left alone); its documents follow in their own task."""
    from reports.whatif import draft_comparison_execute

    return draft_comparison_execute(comparison_id=comparison_id).status


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=5,
)
def build_comparison_documents(comparison_id: int) -> str:
    """Build a draft comparison's documents, each once."""
    from reports.whatif import comparison_documents_build

    return comparison_documents_build(comparison_id=comparison_id).documents_status
