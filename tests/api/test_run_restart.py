"""``runs/`` says why a run failed and how far it got; a reviewer restarts a failed run with
``runs/{id}/restart/``. Officials and anonymous callers reach neither."""

from __future__ import annotations

import pytest

from evaluation import testhook
from evaluation.models import EvaluationRun, OutboxTask
from evaluation.services.recovery import evaluation_chunk_failed
from evaluation.services.runs import (
    evaluation_chunk_execute,
    evaluation_run_request,
    evaluation_run_start,
)
from tests.factories import add_value

pytestmark = pytest.mark.django_db

REASON = (
    "chunk 1 of 2 (cities 110105) was taken by a worker 1 times without being stored, the most "
    "EVALUATION_MAX_DELIVERIES (1) allows; last error: RuntimeError: out of luck"
)


@pytest.fixture
def failed(
    programme, reviewer, city_a, city_b, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """A run whose first chunk (Chaoyang) failed its only delivery; Shenzhen is scored."""
    settings.EVALUATION_CHUNK_SIZE = 1
    settings.EVALUATION_MAX_DELIVERIES = 1
    for participation in (city_a, city_b):
        add_value(participation.city, "sme_transformations", "2020", "10")
    with django_capture_on_commit_callbacks(execute=False):
        run = evaluation_run_request(programme=programme, trigger="api", by=reviewer)
        evaluation_run_start(run_id=run.pk)
        evaluation_chunk_execute(run_id=run.pk, number=2)
        monkeypatch.setattr(testhook, "SPEC", "raise:chunk-scoring:1")
        with pytest.raises(testhook.TestHookError):
            evaluation_chunk_execute(run_id=run.pk, number=1)
        evaluation_chunk_failed(
            run_id=run.pk, number=1, error="RuntimeError: out of luck", final=True
        )
    monkeypatch.setattr(testhook, "SPEC", "")
    OutboxTask.objects.all().delete()
    return EvaluationRun.objects.get(pk=run.pk)


def test_runs_show_why_a_run_failed_and_how_far_it_got(api_reviewer, failed):
    body = api_reviewer.get(f"/api/v1/runs/{failed.pk}/").json()
    assert body["status"] == "failed"
    assert body["error"] == REASON
    assert (body["cities_scored"], body["cities_total"]) == (1, 2)
    listed = api_reviewer.get("/api/v1/runs/?status=failed").json()["results"]
    assert [(r["id"], r["error"]) for r in listed] == [(failed.pk, REASON)]


def test_a_reviewer_restarts_a_failed_run(api_reviewer, reviewer, failed):
    response = api_reviewer.post(f"/api/v1/runs/{failed.pk}/restart/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "running"
    assert response.json()["error"] == ""
    assert [(row.task, row.kwargs) for row in OutboxTask.objects.all()] == [
        ("evaluation.tasks.evaluate_chunk", {"run_id": failed.pk, "number": 1})
    ]
    audit = api_reviewer.get(f"/api/v1/audit/run/{failed.pk}/")
    assert audit.status_code == 200
    assert "restarted by a reviewer" in audit.content.decode()
    evaluation_chunk_execute(run_id=failed.pk, number=1)
    body = api_reviewer.get(f"/api/v1/runs/{failed.pk}/").json()
    assert (body["status"], body["cities_scored"]) == ("succeeded", 2)


def test_restarting_a_run_that_has_not_failed_is_a_conflict_and_changes_nothing(
    api_reviewer, failed
):
    api_reviewer.post(f"/api/v1/runs/{failed.pk}/restart/")
    OutboxTask.objects.all().delete()
    again = api_reviewer.post(f"/api/v1/runs/{failed.pk}/restart/")
    assert again.status_code == 409
    assert again.json() == {
        "errors": [
            {
                "field": None,
                "code": "run_not_failed",
                "reason": f"only a failed run can be restarted; run #{failed.pk} is running",
            }
        ]
    }
    assert not OutboxTask.objects.exists()


def test_officials_and_anonymous_callers_can_neither_see_nor_restart_a_run(
    api_a, api_b, api_anonymous, failed
):
    for client, code in ((api_a, 403), (api_b, 403), (api_anonymous, 401)):
        assert client.get(f"/api/v1/runs/{failed.pk}/").status_code in (code, 403)
        response = client.post(f"/api/v1/runs/{failed.pk}/restart/")
        assert response.status_code in (code, 403)
        assert "110105" not in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == EvaluationRun.Status.FAILED
    assert not OutboxTask.objects.exists()
