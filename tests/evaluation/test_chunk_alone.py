"""A plan of one chunk is scored by the start's own worker (``evaluation_chunk_alone``): nothing
goes through the broker, the delivery is counted as the chunk's first, and a failure or a
start delivered again falls back to sending the chunk like any other. (Real workers killed
while doing it: tests/integration/test_every_run_ends.py.)"""

from __future__ import annotations

import pytest

from evaluation.models import CityResult, EvaluationRun, RunChunk
from evaluation.services import runs
from tests.evaluation.test_runs import strong_city

pytestmark = pytest.mark.django_db


@pytest.fixture
def chunk_tasks_sent(monkeypatch):
    """The chunk tasks sent through the broker (they still run, in this process)."""
    from evaluation import tasks

    sent: list[tuple[int, int]] = []
    delay = tasks.evaluate_chunk.delay

    def counted(run_id: int, number: int):  # type: ignore[no-untyped-def]
        sent.append((run_id, number))
        return delay(run_id, number)

    monkeypatch.setattr(tasks.evaluate_chunk, "delay", counted)
    return sent


def _requested(programme, django_capture_on_commit_callbacks) -> EvaluationRun:
    with django_capture_on_commit_callbacks(execute=False):
        return runs.evaluation_run_request(programme=programme, trigger="command", by=None)


def _three_cities_requested(programme, django_capture_on_commit_callbacks) -> EvaluationRun:
    for code in ("110105", "120116", "140100"):
        strong_city(programme, code)
    return _requested(programme, django_capture_on_commit_callbacks)


def test_a_run_for_one_worker_is_scored_in_its_start_with_nothing_sent(
    programme, django_capture_on_commit_callbacks, settings, chunk_tasks_sent
):
    from evaluation.tasks import run_evaluation

    settings.EVALUATION_WORKERS = 1
    run = _three_cities_requested(programme, django_capture_on_commit_callbacks)

    assert run_evaluation.apply(args=[run.pk]).get() == 0  # no chunk task sent

    run.refresh_from_db()
    chunk = RunChunk.objects.get(run=run)
    assert run.status == EvaluationRun.Status.SUCCEEDED
    assert CityResult.objects.filter(run=run).count() == 3
    assert chunk_tasks_sent == []
    assert (chunk.status, chunk.deliveries, chunk.last_error) == ("done", 1, "")
    assert chunk.queued_at is None  # never handed to the broker


def test_a_plan_of_several_chunks_is_sent_as_before(
    programme, django_capture_on_commit_callbacks, settings, chunk_tasks_sent
):
    from evaluation.tasks import run_evaluation

    settings.EVALUATION_CHUNK_SIZE = 2
    run = _three_cities_requested(programme, django_capture_on_commit_callbacks)

    assert run_evaluation.apply(args=[run.pk]).get() == 2

    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.SUCCEEDED
    assert chunk_tasks_sent == [(run.pk, 1), (run.pk, 2)]
    assert list(RunChunk.objects.filter(run=run).values_list("deliveries", flat=True)) == [1, 1]


def test_a_start_delivered_again_after_its_chunk_was_taken_sends_it(
    programme, django_capture_on_commit_callbacks, settings, monkeypatch
):
    """The worker died while scoring the chunk in the start: the start delivered again does not
    score it in place a second time but sends it, and that delivery says the first did not
    come back."""
    settings.EVALUATION_WORKERS = 1
    strong_city(programme, "110105")
    run = _requested(programme, django_capture_on_commit_callbacks)
    numbers = runs.evaluation_run_start(run_id=run.pk)
    # The first delivery recorded, then the worker gone.
    assert runs._chunk_delivered(run.pk, numbers[0]) is not None
    executed: list[int] = []
    monkeypatch.setattr(
        runs, "evaluation_chunk_execute", lambda *, run_id, number: executed.append(number)
    )

    assert runs.evaluation_chunk_alone(run_id=run.pk, numbers=numbers) == numbers
    assert executed == []

    monkeypatch.undo()
    runs.evaluation_chunk_execute(run_id=run.pk, number=numbers[0])
    chunk = RunChunk.objects.get(run=run)
    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.SUCCEEDED
    assert chunk.deliveries == 2
    assert chunk.last_error.startswith("delivery 1 did not come back")


def test_a_chunk_scored_in_the_start_that_raises_is_recorded_and_sent(
    programme, django_capture_on_commit_callbacks, settings, monkeypatch, chunk_tasks_sent
):
    from evaluation import scoring
    from evaluation.tasks import run_evaluation

    settings.EVALUATION_WORKERS = 1
    strong_city(programme, "110105")
    run = _requested(programme, django_capture_on_commit_callbacks)
    evaluate = scoring.evaluate_in_parts
    calls: list[int] = []

    def fails_once(**kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the scoring core failed")
        return evaluate(**kwargs)

    monkeypatch.setattr(runs.scoring, "evaluate_in_parts", fails_once)

    assert run_evaluation.apply(args=[run.pk]).get() == 1  # sent after all

    run.refresh_from_db()
    chunk = RunChunk.objects.get(run=run)
    assert chunk_tasks_sent == [(run.pk, 1)]
    assert run.status == EvaluationRun.Status.SUCCEEDED
    # The failed delivery is counted and keeps its own error: not "did not come back".
    assert chunk.deliveries == 2
    assert (chunk.last_error, chunk.last_error_delivery) == (
        "RuntimeError: the scoring core failed",
        1,
    )
    assert chunk.queued_at is not None


def test_a_failure_in_the_start_is_logged_and_the_chunk_sent_even_when_it_cannot_be_recorded(
    programme, django_capture_on_commit_callbacks, settings, monkeypatch, caplog
):
    from evaluation.services import recovery

    settings.EVALUATION_WORKERS = 1
    strong_city(programme, "110105")
    run = _requested(programme, django_capture_on_commit_callbacks)
    numbers = runs.evaluation_run_start(run_id=run.pk)

    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the scoring core failed")

    def unrecorded(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the database is gone")

    monkeypatch.setattr(runs.scoring, "evaluate_in_parts", broken)
    monkeypatch.setattr(recovery, "evaluation_chunk_failed", unrecorded)
    with caplog.at_level("ERROR", logger="evaluation.services.runs"):
        assert runs.evaluation_chunk_alone(run_id=run.pk, numbers=numbers) == numbers

    failed, unrecorded_too = caplog.records
    assert failed.getMessage() == f"run {run.pk}: chunk 1, scored in the run's start, failed"
    assert "the scoring core failed" in str(failed.exc_info[1])
    assert "could not be recorded" in unrecorded_too.getMessage()
    assert "the database is gone" in str(unrecorded_too.exc_info[1])
