"""The evaluation task: it calls the service, retries only transient errors, and is declared
safe to redeliver. (The service itself is tested in test_runs.py; a real worker in
tests/integration.)"""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError

from evaluation.tasks import run_evaluation


def test_the_task_calls_the_service_with_the_run_id():
    with mock.patch("evaluation.tasks.evaluation_run_execute") as execute:
        execute.return_value.status = "succeeded"
        assert run_evaluation.apply(args=[42]).get() == "succeeded"
    execute.assert_called_once_with(run_id=42)


def test_a_lost_database_connection_is_retried():
    with mock.patch("evaluation.tasks.evaluation_run_execute") as execute:
        succeeded = mock.Mock(status="succeeded")
        execute.side_effect = [OperationalError("server closed the connection"), succeeded]
        with mock.patch.object(run_evaluation, "retry_backoff", False):
            # In-process, Celery runs the retry at once.
            result = run_evaluation.apply(args=[7], throw=False)
    assert result.state == "SUCCESS"
    assert result.get() == "succeeded"
    assert execute.call_count == 2


def test_a_programming_error_is_not_retried():
    with mock.patch("evaluation.tasks.evaluation_run_execute") as execute:
        execute.side_effect = KeyError("bug")
        result = run_evaluation.apply(args=[7], throw=False)
    assert result.failed()
    assert execute.call_count == 1


def test_the_task_is_acknowledged_late_and_bounded():
    assert run_evaluation.acks_late is True
    assert run_evaluation.reject_on_worker_lost is True
    assert run_evaluation.max_retries == 5
    assert OperationalError in run_evaluation.autoretry_for


@pytest.mark.parametrize("setting", ["task_serializer", "result_serializer"])
def test_only_json_crosses_the_broker(setting):
    assert getattr(run_evaluation.app.conf, setting) == "json"
    assert run_evaluation.app.conf.accept_content == ["json"]
