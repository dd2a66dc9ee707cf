"""The decision record: once an official run is finalised, one PDF listing every city's
decision with who confirmed or overrode it, when and why, the run's digests, and how to
verify it with one command."""

from __future__ import annotations

import pytest
from django.utils import timezone

from evaluation.models import CityResult
from reports.models import Document
from tests.reports.conftest import OVERRIDE_REASON, decision_of, flat, pdf_text
from tests.reports.pdfcheck import assert_no_tofu

pytestmark = pytest.mark.django_db


def url(run, lang: str = "zh-hans") -> str:
    return f"/reports/runs/{run.pk}/decision-record.pdf?lang={lang}"


def test_there_is_no_record_before_every_decision_is_signed_off(reviewer_client, run):
    assert reviewer_client.get(url(run)).status_code == 404
    assert not Document.objects.exists()
    assert (
        "decision-record.pdf"
        not in reviewer_client.get(f"/reports/runs/{run.pk}/ranking/").content.decode()
    )


def test_a_provisional_run_has_no_record(reviewer_client, provisional):
    assert reviewer_client.get(url(provisional)).status_code == 404


def test_the_record_lists_every_decision_who_when_why_and_the_digests(reviewer_client, finalised):
    response = reviewer_client.get(url(finalised))

    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    text = flat(pdf_text(data))
    assert "决定记录" in text
    for result in CityResult.objects.filter(run=finalised).select_related(
        "participation__city", "decision"
    ):
        assert result.participation.city.name_zh in text
        assert f"{result.decision.final_amount:,.2f}" in text
        assert result.input_digest in text and result.result_digest in text
        local = timezone.localtime(result.decision.decided_at)
        assert local.strftime("%Y-%m-%d%H:%M") in text
    assert "已确认" in text and "已改定" in text
    assert flat(OVERRIDE_REASON) in text
    assert "FangWang" in text
    assert "65,000,000.00" in text  # released in all
    assert finalised.input_digest in text and finalised.result_digest in text
    assert f"pythonmanage.pyverify_run{finalised.pk}" in text
    assert_no_tofu(data, chinese="决定记录深圳市北京市朝阳区" + OVERRIDE_REASON)


def test_the_english_record(reviewer_client, finalised):
    text = flat(pdf_text(b"".join(reviewer_client.get(url(finalised, "en")).streaming_content)))

    assert "Decisionrecord" in text and "overridden" in text and "confirmed" in text
    assert flat("How to verify this record") in text
    assert decision_of(finalised, "110105").override_reason.replace(" ", "") in text


def test_officials_and_signed_out_visitors_get_no_record(
    official_client, anonymous_client, finalised
):
    assert official_client.get(url(finalised)).status_code == 403
    visitor = anonymous_client.get(url(finalised))
    assert visitor.status_code == 302 and visitor["Location"].startswith("/?next=")  # sign-in
    assert not Document.objects.exists()
