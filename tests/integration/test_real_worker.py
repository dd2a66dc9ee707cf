"""A real ``celery worker`` takes the evaluation from Redis and writes it to PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from evaluation.demo import demo_load
from evaluation.models import CityResult, EvaluationRun, Programme
from evaluation.services.runs import evaluation_run_execute, evaluation_run_request
from tests.integration.conftest import ROOT, service_env

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def wait_for(run_id: int, *, seconds: float = 60) -> EvaluationRun:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = EvaluationRun.objects.get(pk=run_id)
        if run.status in (EvaluationRun.Status.SUCCEEDED, EvaluationRun.Status.FAILED):
            return run
        time.sleep(0.2)
    pytest.fail(f"run #{run_id} did not finish in {seconds} s")


def test_worker_takes_the_run_from_redis_and_writes_the_results(worker):
    demo_load()
    programme = Programme.objects.get(code="2020")

    run = evaluation_run_request(programme=programme, trigger="command", by=None)
    finished = wait_for(run.pk)

    assert finished.status == EvaluationRun.Status.SUCCEEDED, finished.error
    assert CityResult.objects.filter(run=finished).count() == 11
    assert "evaluation.tasks.run_evaluation[" in worker.output()
    assert "succeeded" in worker.output()

    # The same evaluation done in this process gives the same inputs and results.
    with pytest.MonkeyPatch.context() as patch:
        # Keep this run away from the worker: it is scored here, in this process.
        patch.setattr("evaluation.services.outbox.outbox_enqueue", lambda *a, **k: None)
        local = evaluation_run_request(programme=programme, trigger="command", by=None)
    local = evaluation_run_execute(run_id=local.pk)
    assert (local.input_digest, local.result_digest) == (
        finished.input_digest,
        finished.result_digest,
    )
    assert local.identical_to_id == finished.pk


def test_evaluate_command_runs_through_the_worker(worker, broker_url, shared_database_url):
    demo_load()

    completed = subprocess.run(
        [sys.executable, "manage.py", "evaluate", "--programme", "2020", "--json"],
        cwd=ROOT,
        env=service_env(
            broker_url=broker_url, database_url=shared_database_url, queue=worker.queue
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    assert document["years_elapsed"] == 2
    assert len(document["cities"]) == 11
    assert {c["grade"] for c in document["cities"]} == {"excellent", "good", "fair", "poor"}
    run = EvaluationRun.objects.get()
    assert run.status == EvaluationRun.Status.SUCCEEDED
    # The worker, not the command's own process, did the evaluation.
    assert "evaluation.tasks.run_evaluation[" in worker.output()
