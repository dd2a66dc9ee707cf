"""A real ``celery worker`` takes a reviewer's draft comparison from Redis (sent through the
outbox after the request commits), computes it against PostgreSQL, keeps it, then builds and
keeps its four documents; nothing of it is a run."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from evaluation.demo import demo_load
from evaluation.models import EvaluationRun, Programme
from evaluation.services.drafts import RuleEdit, ruleset_draft_create, ruleset_draft_edit
from evaluation.services.people import role_grant
from reports.models import ComparisonDocument, DraftComparison
from reports.whatif import draft_comparison_request
from tests.factories import UserFactory
from tests.integration.conftest import start_worker, stop_worker

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def media_worker(broker_url, shared_database_url, queue, tmp_path, monkeypatch, settings):
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


def test_the_worker_compares_a_draft_and_keeps_its_documents(media_worker):
    demo_load()
    programme = Programme.objects.get(code="2020")
    reviewer = UserFactory(username="wang.fang")
    role_grant(user=reviewer, role="reviewer")
    draft = ruleset_draft_create(programme=programme, by=reviewer)
    ruleset_draft_edit(
        draft=draft,
        by=reviewer,
        rules={
            "certified_entities": RuleEdit("cumulative", Decimal(200), Decimal(20)),
            "transfer_licence_count": RuleEdit("growth", Decimal("0.2"), Decimal(15)),
        },
    )

    asked = draft_comparison_request(draft=draft, as_of=programme.midterm_as_of, by=reviewer)

    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        comparison = DraftComparison.objects.get(pk=asked.pk)
        if comparison.status in ("ready", "failed") and comparison.documents.count() == 4:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"the comparison was not made in time:\n{media_worker.output()}")
    assert comparison.status == DraftComparison.Status.READY, comparison.error
    assert len(comparison.result["cities"]) == 11
    assert comparison.result["published"] == "2020-v1"
    changed = [c for c in comparison.result["cities"] if c["differences"]]
    assert changed and all(
        {cause["field"] for d in c["differences"] for cause in d["causes"]} == {"weight"}
        for c in changed
    )
    assert set(
        ComparisonDocument.objects.filter(comparison=comparison).values_list("kind", "language")
    ) == {("pdf", "zh-hans"), ("pdf", "en"), ("xlsx", "zh-hans"), ("xlsx", "en")}
    output = media_worker.output()
    assert "reports.tasks.compare_draft[" in output
    assert "reports.tasks.build_comparison_documents[" in output
    assert not EvaluationRun.objects.filter(ruleset=draft).exists()
