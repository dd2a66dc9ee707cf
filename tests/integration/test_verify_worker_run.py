"""``manage.py verify_run`` on a run that real workers scored in chunks: it reads every city at
once, yet finds the same digests; an approved value changed behind the services' back makes
it exit 1 naming the city and indicator; a run not finished exits 2. The command runs as a
person runs it, in its own process against PostgreSQL, so the exit status is the real one."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal

import pytest

from evaluation.demo import demo_load
from evaluation.models import EvaluationRun, MetricValue, Programme
from evaluation.services.runs import evaluation_run_request
from tests.integration.conftest import ROOT, Worker, service_env, start_worker, stop_worker
from tests.integration.test_real_worker import wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def chunked_worker(
    monkeypatch, broker_url, shared_database_url, queue, tmp_path
) -> Iterator[Worker]:
    """A worker that scores runs three cities per task (the 11 demo cities: four chunks)."""
    monkeypatch.setenv("EVALUATION_CHUNK_SIZE", "3")
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


def verify_run(run_id: int, *, broker_url: str, database_url: str, queue: str):
    return subprocess.run(
        [sys.executable, "manage.py", "verify_run", str(run_id)],
        cwd=ROOT,
        env=service_env(broker_url=broker_url, database_url=database_url, queue=queue),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_run_scored_in_chunks_by_a_worker_verifies_and_a_changed_value_is_found(
    chunked_worker, broker_url, shared_database_url
):
    demo_load()
    programme = Programme.objects.get(code="2020")
    run = wait_for(evaluation_run_request(programme=programme, trigger="command", by=None).pk)
    assert run.status == EvaluationRun.Status.SUCCEEDED, run.error
    assert chunked_worker.output().count("evaluation.tasks.evaluate_chunk[") >= 4
    services = {
        "broker_url": broker_url,
        "database_url": shared_database_url,
        "queue": chunked_worker.queue,
    }

    matching = verify_run(run.pk, **services)

    assert matching.returncode == 0, matching.stdout + matching.stderr
    assert run.input_digest in matching.stdout and run.result_digest in matching.stdout

    value = (
        MetricValue.objects.filter(
            status=MetricValue.Status.APPROVED, year=2021, indicator__code="pledge_amount"
        )
        .select_related("city")
        .order_by("city__code", "number")
        .first()
    )
    assert value is not None
    MetricValue.objects.filter(pk=value.pk).update(value=value.value + Decimal("1000"))

    differing = verify_run(run.pk, **services)

    assert differing.returncode == 1, differing.stdout + differing.stderr
    assert f"{value.city.code}" in differing.stdout
    assert "pledge_amount" in differing.stdout
    assert [line for line in differing.stdout.splitlines() if "pledge_amount" in line], (
        differing.stdout
    )
    other_cities = (
        MetricValue.objects.exclude(city=value.city).values_list("city__code", flat=True).distinct()
    )
    assert not any(code in differing.stdout for code in other_cities)


def test_a_run_not_finished_cannot_be_verified(broker_url, shared_database_url, queue):
    programme = Programme.objects.get(code="2020")
    with pytest.MonkeyPatch.context() as patch:
        # No worker: the run stays queued.
        patch.setattr("evaluation.services.outbox.outbox_enqueue", lambda *a, **k: None)
        run = evaluation_run_request(programme=programme, trigger="command", by=None)

    completed = verify_run(
        run.pk, broker_url=broker_url, database_url=shared_database_url, queue=queue
    )

    assert completed.returncode == 2
    assert f"#{run.pk}" in completed.stderr
    assert completed.stdout == ""
