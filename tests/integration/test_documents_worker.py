"""A real ``celery worker`` takes a document from Redis and builds it: every city's scorecard
in one ZIP, its progress written as it goes, kept once."""

from __future__ import annotations

import io
import time
import zipfile

import pytest

from evaluation.demo import demo_load
from evaluation.models import EvaluationRun, Programme
from evaluation.services.runs import evaluation_run_execute, evaluation_run_request
from reports.documents import document_request
from reports.models import Document
from tests.integration.conftest import start_worker, stop_worker

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def media_worker(broker_url, shared_database_url, queue, tmp_path, monkeypatch, settings):
    """A worker writing documents where this test reads them."""
    media = tmp_path / "media"
    monkeypatch.setenv("MEDIA_ROOT", str(media))
    settings.MEDIA_ROOT = media
    running = start_worker(
        broker_url=broker_url,
        database_url=shared_database_url,
        queue=queue,
        log=tmp_path / "worker.log",
    )
    try:
        yield running
    finally:
        stop_worker(running)


def test_the_worker_builds_every_citys_scorecard_once(media_worker):
    demo_load()
    programme = Programme.objects.get(code="2020")
    with pytest.MonkeyPatch.context() as patch:
        # The run is scored here; only the document goes to the worker.
        patch.setattr("evaluation.services.outbox.outbox_enqueue", lambda *a, **k: None)
        queued = evaluation_run_request(programme=programme, trigger="command", by=None)
    run = evaluation_run_execute(run_id=queued.pk)
    assert run.status == EvaluationRun.Status.SUCCEEDED

    asked = document_request(run=run, kind=Document.Kind.SCORECARDS, language="en", by=None)
    again = document_request(run=run, kind=Document.Kind.SCORECARDS, language="en", by=None)
    assert asked.pk == again.pk

    deadline = time.monotonic() + 240
    seen = set()
    while time.monotonic() < deadline:
        document = Document.objects.get(pk=asked.pk)
        seen.add(document.progress_done)
        if document.status in (Document.Status.READY, Document.Status.FAILED):
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"the document was not built in time:\n{media_worker.output()}")

    assert document.status == Document.Status.READY, document.error
    assert (document.progress_done, document.progress_total) == (11, 11)
    assert len(seen) > 2  # progress was visible while it was built
    with document.file.open("rb") as kept:
        names = zipfile.ZipFile(io.BytesIO(kept.read())).namelist()
    assert len(names) == 11
    assert media_worker.output().count("reports.tasks.build_document[") >= 1
    assert "succeeded" in media_worker.output()
