"""Documents of a run are made once and kept: asking twice builds once; a large programme's
documents, and every city's scorecards in one ZIP, are built by a Celery task whose progress
the document's page shows; a kept file is served only to those who may see what it shows."""

from __future__ import annotations

import hashlib
import io
import zipfile
from unittest import mock

import pytest
from django.db import IntegrityError, transaction

from reports import documents
from reports.models import Document
from reports.tasks import build_document
from tests.reports.conftest import flat, pdf_text, text_of

pytestmark = pytest.mark.django_db


def scorecard(client, run, code="440300", lang="zh-hans"):
    return client.get(f"/reports/runs/{run.pk}/cities/{code}/scorecard.pdf?lang={lang}")


def test_asking_twice_builds_once(reviewer_client, run):
    first = scorecard(reviewer_client, run)
    kept = Document.objects.get()
    built_at, sha = kept.built_at, kept.sha256
    with mock.patch("reports.rendering.scorecard_pdf") as render:
        second = scorecard(reviewer_client, run)
        render.assert_not_called()

    body = b"".join(second.streaming_content)
    assert b"".join(first.streaming_content) == body
    assert hashlib.sha256(body).hexdigest() == sha == second["X-Document-SHA256"]
    assert Document.objects.count() == 1
    assert Document.objects.get().built_at == built_at
    # Another language is another document.
    scorecard(reviewer_client, run, lang="en")
    assert Document.objects.count() == 2


def test_an_officials_request_and_a_reviewers_share_the_document(
    official_client, reviewer_client, provisional
):
    scorecard(official_client, provisional)
    scorecard(reviewer_client, provisional)
    assert Document.objects.count() == 1


def test_the_database_refuses_a_second_copy(run, shenzhen):
    Document.objects.create(run=run, kind="ranking_pdf", language="en")
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.create(run=run, kind="ranking_pdf", language="en")
    Document.objects.create(run=run, kind="scorecard", language="en", participation=shenzhen)
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.create(run=run, kind="scorecard", language="en", participation=shenzhen)


def test_a_large_programme_is_built_by_the_task_after_commit(
    reviewer_client, run, settings, django_capture_on_commit_callbacks
):
    settings.REPORTS_INLINE_CITIES = 1
    with (
        mock.patch.object(build_document, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = reviewer_client.get(f"/reports/runs/{run.pk}/ranking.pdf?lang=en")
    kept = Document.objects.get()
    delay.assert_called_once_with(kept.pk)
    assert kept.status == Document.Status.QUEUED
    # The reviewer is shown the document's page, which refreshes itself until it is ready.
    assert response.status_code == 302
    waiting = reviewer_client.get(response["Location"])
    assert "queued" in text_of(waiting) and 'http-equiv="refresh"' in waiting.content.decode()

    assert build_document(kept.pk) == Document.Status.READY
    with mock.patch("reports.rendering.ranking_pdf") as render:
        assert build_document(kept.pk) == Document.Status.READY  # run again: left alone
        render.assert_not_called()
    ready = reviewer_client.get(response["Location"])
    assert ready["Content-Type"] == "application/pdf"
    assert "Shenzhen" in pdf_text(b"".join(ready.streaming_content))


def test_every_citys_scorecard_in_one_zip_with_progress(
    reviewer_client, run, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(build_document, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = reviewer_client.post(f"/reports/runs/{run.pk}/scorecards/?lang=zh-hans")
        again = reviewer_client.post(f"/reports/runs/{run.pk}/scorecards/?lang=zh-hans")
    kept = Document.objects.get(kind=Document.Kind.SCORECARDS)
    assert response["Location"] == again["Location"] == f"/reports/documents/{kept.pk}/"
    delay.assert_called_once_with(kept.pk)  # asked twice, queued once
    assert kept.progress_total == 2

    progress = []
    real = documents.rendering.scorecard_pdf

    def scorecard_and_look(result, **kwargs):
        progress.append(Document.objects.get(pk=kept.pk).progress_done)
        return real(result, **kwargs)

    with mock.patch("reports.rendering.scorecard_pdf", side_effect=scorecard_and_look):
        build_document(kept.pk)
    assert progress == [0, 1]  # the page would have shown 0 of 2, then 1 of 2
    kept.refresh_from_db()
    assert (kept.status, kept.progress_done, kept.percent) == ("ready", 2, 100)

    body = b"".join(reviewer_client.get(f"/reports/documents/{kept.pk}/").streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert sorted(archive.namelist()) == ["110105-评分卡.pdf", "440300-评分卡.pdf"]
    assert "深圳市" in flat(pdf_text(archive.read("440300-评分卡.pdf")))
    # Each city's scorecard is kept on its own too: downloading it later builds nothing.
    assert Document.objects.filter(kind="scorecard", status="ready").count() == 2
    with mock.patch("reports.rendering.scorecard_pdf") as render:
        alone = b"".join(scorecard(reviewer_client, run).streaming_content)
        render.assert_not_called()
    assert alone == archive.read("440300-评分卡.pdf")


def test_a_kept_document_is_served_only_to_those_who_may_see_it(
    reviewer_client, official_client, other_client, anonymous_client, provisional
):
    scorecard(official_client, provisional)
    reviewer_client.get(f"/reports/runs/{provisional.pk}/ranking.pdf")
    own = Document.objects.get(kind="scorecard")
    ranking = Document.objects.get(kind="ranking_pdf")

    assert official_client.get(f"/reports/documents/{own.pk}/").status_code == 200
    assert official_client.get(f"/reports/documents/{ranking.pk}/").status_code == 404
    refused = other_client.get(f"/reports/documents/{own.pk}/")
    assert refused.status_code == 404 and b"%PDF" not in refused.content
    assert anonymous_client.get(f"/reports/documents/{own.pk}/").status_code == 302
    assert reviewer_client.get(f"/reports/documents/{own.pk}/").status_code == 200


def test_a_document_that_cannot_be_built_is_recorded_as_failed_and_tried_again(run, reviewer):
    kept = Document.objects.create(run=run, kind="decision_record", language="en")

    assert documents.document_build(document_id=kept.pk).status == Document.Status.FAILED
    kept.refresh_from_db()
    assert "signed off" in kept.error
    with pytest.raises(documents.DocumentRefused):
        documents.document_request(run=run, kind="decision_record", language="en", by=reviewer)


def test_the_task_calls_the_service(run):
    with mock.patch("reports.tasks.document_build") as build:
        build.return_value.status = "ready"
        assert build_document(41) == "ready"
    build.assert_called_once_with(document_id=41)


def test_a_bundle_past_the_time_limit_carries_on_in_a_new_task(run):
    from celery.exceptions import SoftTimeLimitExceeded

    with (
        mock.patch("reports.tasks.document_build", side_effect=SoftTimeLimitExceeded()),
        mock.patch.object(build_document, "delay") as delay,
    ):
        assert build_document(7) == "continued"
    delay.assert_called_once_with(7)


def test_a_bundle_started_again_makes_only_the_scorecards_still_missing(
    reviewer_client, run, shenzhen
):
    scorecard(reviewer_client, run)  # Shenzhen's scorecard, kept
    bundle = Document.objects.create(
        run=run, kind=Document.Kind.SCORECARDS, language="zh-hans", progress_total=2
    )
    real = documents.rendering.scorecard_pdf
    with mock.patch("reports.rendering.scorecard_pdf", side_effect=real) as render:
        documents.document_build(document_id=bundle.pk)
    assert [c.args[0].participation.city.code for c in render.call_args_list] == ["110105"]
    bundle.refresh_from_db()
    assert bundle.status == Document.Status.READY
