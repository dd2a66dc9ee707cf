"""The documents are formal: a header naming the ministries, the programme, the title, the date
and the document's number; a signature block (审核 and 签批: names and dates, or lines to sign
by hand while the decisions await sign-off); amounts in yuan or in 10,000 yuan as the reviewer
chooses, each a kept document of its own; and the decision record prints the verify command
that works after the README's install."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from reports.models import Document
from tests.reports.conftest import decision_of, flat, pdf_text, text_of

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def body(response) -> bytes:
    assert response.status_code == 200, response
    return b"".join(response.streaming_content)


def day(moment) -> str:
    return timezone.localtime(moment).date().isoformat()


def test_a_scorecard_has_the_formal_header_and_lines_to_sign_before_sign_off(reviewer_client, run):
    text = flat(
        pdf_text(
            body(
                reviewer_client.get(
                    f"/reports/runs/{run.pk}/cities/440300/scorecard.pdf?lang=zh-hans"
                )
            )
        )
    )

    assert "财政部·国家知识产权局" in text
    assert "知识产权运营服务体系建设重点城市2020批次" in text
    assert "深圳市评分卡" in text
    assert f"文档编号:2020-{run.pk:04d}-SC-440300" in text.replace("：", ":")
    assert f"日期:{day(run.finished_at)}" in text.replace("：", ":")
    assert "金额单位:元" in text.replace("：", ":")
    # Reviewed by the reviewer who asked for the run, on the day it ended; not signed yet.
    assert f"审核reviewer日期{day(run.finished_at)}签批日期" in text


def test_the_decision_record_names_the_signers_and_the_day_of_the_last_sign_off(
    reviewer_client, finalised
):
    text = flat(
        pdf_text(
            body(
                reviewer_client.get(
                    f"/reports/runs/{finalised.pk}/decision-record.pdf?lang=zh-hans"
                )
            )
        )
    )

    assert f"2020-{finalised.pk:04d}-DR" in text
    assert "决定记录" in text
    signed_on = day(finalised.finalised_at)
    assert f"签批FangWang日期{signed_on}" in text
    assert f"日期:{signed_on}" in text.replace("：", ":")


def test_the_decision_record_prints_the_verify_command_of_the_readme(reviewer_client, finalised):
    text = flat(
        pdf_text(
            body(reviewer_client.get(f"/reports/runs/{finalised.pk}/decision-record.pdf?lang=en"))
        )
    )

    printed = f".venv/bin/python manage.py verify_run {finalised.pk}"
    assert flat(printed) in text
    # The README's own command, with its run number: what works after the README's install.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(r"^\.venv/bin/python manage\.py verify_run 1\b", readme, re.M)
    assert "Signedoffby" in text and "Reviewedby" in text
    assert "MinistryofFinance·ChinaNationalIntellectualPropertyAdministration" in text


def test_a_reviewer_chooses_10_000_yuan_and_it_is_a_document_of_its_own(reviewer_client, finalised):
    yuan = flat(
        pdf_text(
            body(reviewer_client.get(f"/reports/runs/{finalised.pk}/ranking.pdf?lang=zh-hans"))
        )
    )
    wan = flat(
        pdf_text(
            body(
                reviewer_client.get(
                    f"/reports/runs/{finalised.pk}/ranking.pdf?lang=zh-hans&unit=wan"
                )
            )
        )
    )

    assert "65,000,000.00" in yuan and "（元）" in yuan
    # 65 million yuan released in all: 6,500 万元, exact.
    assert "6,500.00" in wan and "（万元）" in wan and "65,000,000.00" not in wan
    assert "金额单位:万元" in wan.replace("：", ":")
    kept = Document.objects.filter(run=finalised, kind=Document.Kind.RANKING_PDF)
    assert sorted(kept.values_list("unit", flat=True)) == ["wan", "yuan"]
    reviewer_client.get(f"/reports/runs/{finalised.pk}/ranking.pdf?lang=zh-hans&unit=wan")
    assert kept.count() == 2  # asked again: the same one
    # Anything else is yuan.
    reviewer_client.get(f"/reports/runs/{finalised.pk}/ranking.pdf?unit=lakh&lang=zh-hans")
    assert kept.count() == 2


def test_the_workbook_in_10_000_yuan_holds_exact_numbers(reviewer_client, finalised):
    data = body(
        reviewer_client.get(f"/reports/runs/{finalised.pk}/ranking.xlsx?unit=wan&lang=zh-hans")
    )
    sheet = load_workbook(io.BytesIO(data))["排名"]
    rows = [list(r) for r in sheet.iter_rows()]
    header = next(i for i, r in enumerate(rows) if r[0].value == "名次")
    names = [c.value for c in rows[header]]
    assert "签批金额（万元）" in names
    column = names.index("签批金额（万元）")
    chaoyang = next(r for r in rows[header + 1 :] if r[1].value == "110105")
    overridden = decision_of(finalised, "110105").final_amount
    assert Decimal(str(chaoyang[column].value)) == overridden / 10000 == Decimal("1500")
    assert chaoyang[column].number_format == "#,##0.00####"
    assert rows[1][0].value == "文档编号"


def test_the_pages_offer_both_units_and_carry_the_choice_to_their_downloads(
    reviewer_client, finalised
):
    page = reviewer_client.get(f"/reports/runs/{finalised.pk}/ranking/?unit=wan&lang=en")
    html = page.content.decode()
    assert "Recommended release (10,000 yuan)" in text_of(page)
    assert f"/reports/runs/{finalised.pk}/ranking.pdf?lang=en&amp;unit=wan" in html
    assert f"/reports/runs/{finalised.pk}/decision-record.pdf?lang=en&amp;unit=wan" in html
    assert "unit=yuan" in html  # the link back to yuan
    card = reviewer_client.get(f"/reports/runs/{finalised.pk}/cities/440300/?unit=wan")
    assert f"/reports/runs/{finalised.pk}/cities/440300/scorecard.pdf?" in card.content.decode()
    assert "unit=wan" in card.content.decode()


def test_a_provisional_scorecard_says_it_is_never_signed_off(reviewer_client, provisional):
    text = flat(
        pdf_text(
            body(
                reviewer_client.get(
                    f"/reports/runs/{provisional.pk}/cities/440300/scorecard.pdf?lang=en"
                )
            )
        )
    )
    assert "Signedoffbyprovisionalrun:forinformation,neversignedoff" in text
    assert f"2020-{provisional.pk:04d}-SC-440300" in text
