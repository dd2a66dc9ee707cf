"""The evaluation tasks: they call the services, fan a run out in chunks of its plan, retry
only transient errors, hand a chunk's failure to the recovery service, and are declared safe
to redeliver. (The services are tested in test_runs.py and test_recovery.py; real workers in
tests/integration.)"""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError

from evaluation.tasks import evaluate_chunk, run_evaluation, sweep_evaluation_runs


def test_a_run_starts_and_fans_out_one_task_per_chunk_recording_each_as_sent():
    with (
        mock.patch("evaluation.tasks.evaluation_run_start", return_value=[1, 2, 3]) as start,
        mock.patch("evaluation.tasks.evaluate_chunk.delay") as delay,
        mock.patch("evaluation.tasks.evaluation_chunk_queued") as queued,
    ):
        assert run_evaluation.apply(args=[42]).get() == 3
    start.assert_called_once_with(run_id=42)
    assert delay.call_args_list == [mock.call(42, 1), mock.call(42, 2), mock.call(42, 3)]
    assert queued.call_args_list == [mock.call(run_id=42, number=n) for n in (1, 2, 3)]


def test_a_plan_of_one_chunk_is_scored_by_the_start_and_nothing_is_sent():
    with (
        mock.patch("evaluation.tasks.evaluation_run_start", return_value=[1]),
        mock.patch("evaluation.tasks.evaluation_chunk_alone", return_value=[]) as alone,
        mock.patch("evaluation.tasks.evaluate_chunk.delay") as delay,
        mock.patch("evaluation.tasks.evaluation_chunk_queued") as queued,
    ):
        assert run_evaluation.apply(args=[42]).get() == 0
    alone.assert_called_once_with(run_id=42, numbers=[1])
    delay.assert_not_called()
    queued.assert_not_called()


def test_a_chunk_task_calls_the_chunk_service():
    with mock.patch("evaluation.tasks.evaluation_chunk_execute") as execute:
        evaluate_chunk.apply(args=[42, 2]).get()
    execute.assert_called_once_with(run_id=42, number=2)


def test_a_lost_database_connection_is_retried():
    with (
        mock.patch("evaluation.tasks.evaluation_run_start") as start,
        mock.patch("evaluation.tasks.evaluate_chunk.delay"),
        mock.patch("evaluation.tasks.evaluation_chunk_queued"),
        mock.patch("evaluation.services.recovery.evaluation_start_retried") as retried,
        # A plan of one chunk would be scored in the start itself: not here.
        mock.patch(
            "evaluation.tasks.evaluation_chunk_alone", side_effect=lambda run_id, numbers: numbers
        ),
    ):
        start.side_effect = [OperationalError("server closed the connection"), [1]]
        with mock.patch.object(run_evaluation, "retry_backoff", False):
            # In-process, Celery runs the retry at once.
            result = run_evaluation.apply(args=[7], throw=False)
    assert result.state == "SUCCESS"
    assert result.get() == 1
    assert start.call_count == 2
    retried.assert_called_once_with(
        run_id=7, error="OperationalError: server closed the connection"
    )


def test_a_chunk_retry_records_the_error_for_the_reason():
    with (
        mock.patch("evaluation.tasks.evaluation_chunk_execute") as execute,
        mock.patch("evaluation.services.recovery.evaluation_chunk_failed") as failed,
        mock.patch.object(evaluate_chunk, "retry_backoff", False),
    ):
        execute.side_effect = [OperationalError("gone"), None]
        result = evaluate_chunk.apply(args=[7, 3], throw=False)
    assert result.state == "SUCCESS"
    assert execute.call_count == 2
    failed.assert_called_once_with(run_id=7, number=3, error="OperationalError: gone", final=False)


def test_a_programming_error_is_not_retried_and_goes_to_recovery_once():
    with (
        mock.patch("evaluation.tasks.evaluation_chunk_execute", side_effect=KeyError("bug")) as ex,
        mock.patch("evaluation.services.recovery.evaluation_chunk_failed") as failed,
    ):
        result = evaluate_chunk.apply(kwargs={"run_id": 7, "number": 3}, throw=False)
    assert result.failed()
    assert ex.call_count == 1
    failed.assert_called_once_with(run_id=7, number=3, error="KeyError: 'bug'", final=True)


def test_a_start_that_fails_goes_to_recovery():
    with (
        mock.patch("evaluation.tasks.evaluation_run_start", side_effect=KeyError("bug")),
        mock.patch("evaluation.services.recovery.evaluation_start_failed") as failed,
    ):
        result = run_evaluation.apply(kwargs={"run_id": 9}, throw=False)
    assert result.failed()
    failed.assert_called_once_with(run_id=9, error="KeyError: 'bug'")


def test_the_sweep_task_calls_the_sweep_service():
    sweep_service = "evaluation.services.recovery.evaluation_runs_sweep"
    with mock.patch(sweep_service, return_value=[4]) as sweep:
        assert sweep_evaluation_runs.apply().get() == [4]
    sweep.assert_called_once_with()


@pytest.mark.parametrize("task", [run_evaluation, evaluate_chunk])
def test_the_tasks_are_acknowledged_late_and_bounded(task):
    assert task.acks_late is True
    assert task.reject_on_worker_lost is True
    assert task.max_retries == 5
    assert OperationalError in task.autoretry_for


@pytest.mark.parametrize("setting", ["task_serializer", "result_serializer"])
def test_only_json_crosses_the_broker(setting):
    assert getattr(run_evaluation.app.conf, setting) == "json"
    assert run_evaluation.app.conf.accept_content == ["json"]
