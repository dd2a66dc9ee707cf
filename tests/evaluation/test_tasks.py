"""The evaluation tasks: they call the services, fan a run out in chunks, retry only transient
errors, and are declared safe to redeliver. (The services are tested in test_runs.py; real
workers in tests/integration.)"""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError

from evaluation.tasks import evaluate_chunk, run_evaluation


def test_a_run_starts_and_fans_out_one_task_per_chunk():
    with (
        mock.patch("evaluation.tasks.evaluation_run_start", return_value=[[1, 2], [3]]) as start,
        mock.patch("evaluation.tasks.evaluate_chunk.delay") as delay,
    ):
        assert run_evaluation.apply(args=[42]).get() == 2
    start.assert_called_once_with(run_id=42)
    assert delay.call_args_list == [mock.call(42, [1, 2]), mock.call(42, [3])]


def test_a_chunk_task_calls_the_chunk_service():
    with mock.patch("evaluation.tasks.evaluation_chunk_execute") as execute:
        evaluate_chunk.apply(args=[42, [1, 2]]).get()
    execute.assert_called_once_with(run_id=42, participation_ids=[1, 2])


def test_a_lost_database_connection_is_retried():
    with (
        mock.patch("evaluation.tasks.evaluation_run_start") as start,
        mock.patch("evaluation.tasks.evaluate_chunk.delay"),
    ):
        start.side_effect = [OperationalError("server closed the connection"), [[1]]]
        with mock.patch.object(run_evaluation, "retry_backoff", False):
            # In-process, Celery runs the retry at once.
            result = run_evaluation.apply(args=[7], throw=False)
    assert result.state == "SUCCESS"
    assert result.get() == 1
    assert start.call_count == 2


def test_a_programming_error_is_not_retried():
    with mock.patch("evaluation.tasks.evaluation_chunk_execute") as execute:
        execute.side_effect = KeyError("bug")
        result = evaluate_chunk.apply(args=[7, [1]], throw=False)
    assert result.failed()
    assert execute.call_count == 1


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
