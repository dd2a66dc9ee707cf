"""Celery tasks of the reports: take ids, call a service, nothing else."""

from celery import shared_task

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
    """Build a kept document (safe to run twice: a built document is left alone)."""
    return document_build(document_id=document_id).status
