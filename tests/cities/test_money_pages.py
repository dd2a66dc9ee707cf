"""The city's money and monitoring on the portal: the tranches received, the plan, the
expenditure entered with its evidence and submitted, the Excel template and its upload, the
execution rate so far and what must still be spent; the dual monitoring with what it means.
Another city's official, an expert and a signed-out visitor reach none of it."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from evaluation.models import Expenditure
from evaluation.scoring import Period
from evaluation.services import money
from evaluation.services.monitoring import payment_suspend
from tests.cities.conftest import browser
from tests.conftest import csv_bytes
from tests.parts import expert, reviewer_named

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def evidence_kept_apart(settings, tmp_path):
    """Evidence files are written under MEDIA_ROOT: a temporary one here."""
    settings.MEDIA_ROOT = tmp_path / "media"


def words(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def english(official_a):
    return browser(official_a, "en")


def test_the_official_enters_submits_and_follows_the_citys_spending(city_a, english, reviewer):
    page = f"/city/{city_a.pk}/money/"
    money.plan_set(participation=city_a, year=2020, planned="30000000", by=None)
    money.plan_set(participation=city_a, year=2021, planned="45000000", by=None)

    saved = english.post(
        page,
        {
            "period": "2020",
            "amount": "15000000",
            "evidence": "ledger 2020",
            "evidence_file": SimpleUploadedFile("ledger.pdf", b"%PDF-1.4 ledger"),
            "action": "submit",
        },
    )
    assert saved.status_code == 302
    spent = Expenditure.objects.get()
    assert (spent.status, spent.amount) == ("submitted", 15000000)
    money.expenditure_approve(expenditure=spent, by=reviewer)

    shown = words(english.get(page))
    assert "Received so far 100,000,000.00 yuan" in shown
    assert "Approved expenditure so far 15,000,000.00 yuan" in shown
    assert "approved (locked)" in shown and "ledger 2020" in shown
    # By the next evaluation date (the mid-term, 2021-12-31 until it passes; the final one
    # after) the plan counts 2020 and 2021: 75,000,000, of which 60,000,000 remain.
    assert re.search(r"60,000,000\.00 yuan more must be spent, and approved, by", shown)
    evidence = english.get(f"/city/{city_a.pk}/money/{spent.pk}/evidence/")
    assert b"".join(evidence.streaming_content) == b"%PDF-1.4 ledger"


def test_a_bad_entry_is_shown_by_its_field_and_saves_nothing(city_a, english):
    refused = english.post(
        f"/city/{city_a.pk}/money/",
        {"period": "2019", "amount": "-5", "evidence": "", "action": "save"},
    )

    assert refused.status_code == 400
    shown = words(refused)
    assert "-5 is negative; values are never negative" in shown
    assert "is not after the baseline year 2019" in shown
    assert not Expenditure.objects.exists()


def test_the_template_and_its_upload_fill_the_drafts(city_a, english):
    template = english.get(f"/city/{city_a.pk}/money/template.xlsx")
    sheet = load_workbook(io.BytesIO(template.content)).active
    assert [c.value for c in sheet[2]] == ["city_code", "period", "amount", "evidence"]

    data = csv_bytes("city_code,period,amount,evidence", "210100,2021-01,100,v1")
    checked = english.post(
        f"/city/{city_a.pk}/money/upload/",
        {"file": SimpleUploadedFile("e.csv", data), "action": "check"},
        follow=True,
    )
    assert "nothing was saved; it would be 1 created" in words(checked)
    assert not Expenditure.objects.exists()
    english.post(
        f"/city/{city_a.pk}/money/upload/",
        {"file": SimpleUploadedFile("e.csv", data), "action": "load"},
    )
    assert Expenditure.objects.get().status == "draft"


def test_the_monitoring_page_says_what_a_suspension_means(city_a, english):
    payment_suspend(
        participation=city_a, reason="targets and spending behind", by=reviewer_named("r1")
    )

    shown = words(english.get(f"/city/{city_a.pk}/monitoring/"))

    assert "The ministry has suspended the city's pending payment: targets and spending" in shown
    assert "until a second reviewer lifts the suspension" in shown
    assert "Execution so far" in shown


@pytest.mark.chinese
def test_the_money_page_is_chinese_by_default(city_a, portal_a):
    shown = words(portal_a.get(f"/city/{city_a.pk}/money/"))
    assert "资金：支出计划与实际支出" in shown and "第一笔资金" in shown


def test_nobody_else_reaches_the_citys_money_pages(city_a, city_b, official_a, official_b):
    spent = money.expenditure_save(
        participation=city_a,
        period=Period.parse("2021-02"),
        amount="1",
        evidence="v",
        by=official_a,
    )
    scorer = expert("zhou.expert", city_a)
    urls = [
        f"/city/{city_a.pk}/money/",
        f"/city/{city_a.pk}/monitoring/",
        f"/city/{city_a.pk}/money/template.xlsx",
        f"/city/{city_a.pk}/money/{spent.pk}/evidence/",
    ]
    posts = [
        (f"/city/{city_a.pk}/money/", {"period": "2021-03", "amount": "1", "action": "save"}),
        (f"/city/{city_a.pk}/money/plan/", {"year": "2021", "planned": "1"}),
        (f"/city/{city_a.pk}/money/{spent.pk}/submit/", {}),
        (f"/city/{city_a.pk}/money/upload/", {"action": "load"}),
    ]
    for user in (official_b, scorer):
        visitor = browser(user)
        for url in urls:
            assert visitor.get(url).status_code == 404, (user, url)
        for url, data in posts:
            assert visitor.post(url, data).status_code == 404, (user, url)
    anonymous = browser()
    for url in urls + [url for url, _ in posts]:
        response = anonymous.get(url)
        assert response.status_code == 302 and "next=" in response["Location"], url
    assert Expenditure.objects.get().status == "draft"
