"""A failed run in the admin: its reason on the list and on its page with its plan, and a
reviewer's restart; officials and signed-out visitors reach none of it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluation import testhook
from evaluation.models import EvaluationRun, OutboxTask, RunChunk
from evaluation.services.recovery import evaluation_chunk_failed
from evaluation.services.runs import (
    evaluation_chunk_execute,
    evaluation_run_request,
    evaluation_run_start,
)
from tests.admin.conftest import page, shown_messages
from tests.factories import ParticipationFactory, add_value

pytestmark = pytest.mark.django_db

RUNS = "/admin/evaluation/evaluationrun/"
REASON = (
    "chunk 2 of 2 (cities 440300) was taken by a worker 2 times without being stored, the most "
    "EVALUATION_MAX_DELIVERIES (2) allows; last error: RuntimeError: out of luck"
)


@pytest.fixture
def failed(
    programme, reviewer, city_a, city_b, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """A run whose second chunk (Shenzhen) failed each of its two deliveries."""
    settings.EVALUATION_CHUNK_SIZE = 1
    settings.EVALUATION_MAX_DELIVERIES = 2
    for participation in (city_a, city_b):
        add_value(participation.city, "sme_transformations", "2020", "10")
    with django_capture_on_commit_callbacks(execute=False):
        run = evaluation_run_request(programme=programme, trigger="admin", by=reviewer)
        evaluation_run_start(run_id=run.pk)
        evaluation_chunk_execute(run_id=run.pk, number=1)
        monkeypatch.setattr(testhook, "SPEC", "raise:chunk-scoring:2")
        for _ in range(2):
            with pytest.raises(testhook.TestHookError):
                evaluation_chunk_execute(run_id=run.pk, number=2)
            evaluation_chunk_failed(
                run_id=run.pk, number=2, error="RuntimeError: out of luck", final=True
            )
    monkeypatch.setattr(testhook, "SPEC", "")
    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.FAILED
    OutboxTask.objects.all().delete()
    return run


def test_the_list_and_the_page_say_why_a_run_failed(reviewer_client, failed):
    listed = page(reviewer_client.get(RUNS))
    assert "failed" in listed
    assert REASON[:119] in listed

    shown = page(reviewer_client.get(f"{RUNS}{failed.pk}/change/"))
    assert REASON in shown
    assert "1 of 2 cities" in shown
    # The plan: each chunk's cities, state, deliveries and last error.
    assert "110105 done 1" in shown
    assert "440300 pending 2" in shown


def test_a_reviewer_restarts_a_failed_run_from_the_list(reviewer_client, reviewer, failed):
    response = reviewer_client.post(
        RUNS, {"action": "restart", "_selected_action": [failed.pk]}, follow=True
    )
    assert shown_messages(response) == ["Restarted 1 of 1."]
    failed.refresh_from_db()
    assert failed.status == EvaluationRun.Status.RUNNING
    assert failed.error == ""
    assert [(row.task, row.kwargs) for row in OutboxTask.objects.all()] == [
        ("evaluation.tasks.evaluate_chunk", {"run_id": failed.pk, "number": 2})
    ]
    restart = failed.history.order_by("-history_id").first()
    assert (restart.history_user, restart.history_change_reason) == (
        reviewer,
        "restarted by a reviewer",
    )
    # The restarted chunk now goes through.
    evaluation_chunk_execute(run_id=failed.pk, number=2)
    failed.refresh_from_db()
    assert failed.status == EvaluationRun.Status.SUCCEEDED


def test_restarting_a_run_that_did_not_fail_is_refused_and_changes_nothing(reviewer_client, failed):
    EvaluationRun.objects.filter(pk=failed.pk).update(status="running", error="", finished_at=None)
    response = reviewer_client.post(
        RUNS, {"action": "restart", "_selected_action": [failed.pk]}, follow=True
    )
    (message,) = shown_messages(response)
    assert "only a failed run can be restarted" in message
    assert not OutboxTask.objects.exists()


def test_an_official_and_a_signed_out_visitor_reach_no_run(
    official_client, anonymous_client, failed
):
    for client in (official_client, anonymous_client):
        for url in (RUNS, f"{RUNS}{failed.pk}/change/"):
            response = client.get(url)
            assert response.status_code == 302 and "/login/" in response["Location"]
        response = client.post(RUNS, {"action": "restart", "_selected_action": [failed.pk]})
        assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == EvaluationRun.Status.FAILED
    assert not OutboxTask.objects.exists()


def test_the_run_page_does_not_query_more_with_more_chunks(
    reviewer_client, programme, reviewer, settings, django_capture_on_commit_callbacks
):
    settings.EVALUATION_CHUNK_SIZE = 1

    def queries_for_a_run_of(count: int) -> int:
        for _ in range(count):
            ParticipationFactory(programme=programme)
        with django_capture_on_commit_callbacks(execute=False):
            run = evaluation_run_request(programme=programme, trigger="admin", by=reviewer)
        evaluation_run_start(run_id=run.pk)
        assert RunChunk.objects.filter(run=run).count() >= count
        # Each page as the first after a start: the content types' cache (the history link's
        # lookup) is as empty for the second run as for the first.
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()
        with CaptureQueriesContext(connection) as queries:
            assert reviewer_client.get(f"{RUNS}{run.pk}/change/").status_code == 200
        return len(queries)

    assert queries_for_a_run_of(2) == queries_for_a_run_of(8)
