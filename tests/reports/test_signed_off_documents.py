"""A document of an official run asked for before its sign-off must not outlive it: the
scorecard, ranking and workbook downloaded after a decision is signed off show that sign-off
(the amounts and who decided), not the recommendation they were first built with."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from evaluation.services.decisions import decision_confirm, decision_override
from reports.models import Document
from tests.reports.conftest import OVERRIDE_REASON, decision_of, flat, logged_in, pdf_text

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    assert response.status_code == 200, response
    return b"".join(response.streaming_content)


def scorecard(client, run, code="110105"):
    return body(client.get(f"/reports/runs/{run.pk}/cities/{code}/scorecard.pdf?lang=en"))


def sign_off(run, signer):
    decision_confirm(decision=decision_of(run, "440300"), by=signer)
    decision_override(
        decision=decision_of(run, "110105"),
        amount=Decimal("15000000.00"),
        reason=OVERRIDE_REASON,
        by=signer,
    )


def test_a_scorecard_kept_before_sign_off_shows_the_sign_off_afterwards(
    reviewer_client, official, run, signer
):
    before = flat(pdf_text(scorecard(reviewer_client, run)))
    assert "awaitingsign-off" in before and "15,000,000.00" not in before

    sign_off(run, signer)
    after = flat(pdf_text(scorecard(reviewer_client, run)))

    assert "15,000,000.00" in after and "FangWang" in after
    assert "awaitingsign-off" not in after
    assert Document.objects.filter(kind=Document.Kind.SCORECARD).count() == 1
    # The city's official, who may see it only now, gets the signed-off one too.
    shown = flat(pdf_text(scorecard(logged_in(official), run, "440300")))
    assert "confirmed" in shown and "FangWang" in shown


def test_a_document_is_rebuilt_once_after_a_sign_off_not_each_time(reviewer_client, run, signer):
    scorecard(reviewer_client, run)
    sign_off(run, signer)
    scorecard(reviewer_client, run)
    built_at = Document.objects.get().built_at
    scorecard(reviewer_client, run)
    assert Document.objects.get().built_at == built_at


def test_a_ranking_workbook_kept_before_sign_off_shows_the_signed_amounts_afterwards(
    reviewer_client, run, signer
):
    url = f"/reports/runs/{run.pk}/ranking.xlsx?lang=en"
    body(reviewer_client.get(url))
    sign_off(run, signer)
    sheet = load_workbook(io.BytesIO(body(reviewer_client.get(url)))).active
    assert sheet is not None
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert Decimal("15000000") in [Decimal(str(v)) for v in values if isinstance(v, int | float)]
