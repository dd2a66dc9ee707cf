"""An official, in Chinese, in a real browser: finding the finalised result and its scorecard
and coming back to the portal; choosing a quarter for the Excel template, filling it in with
thousands grouped as the pages write them, loading it without a single error and submitting
the three reports in one step."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from openpyxl import load_workbook

from evaluation.models import EvaluationRun, Report, TrancheDecision
from evaluation.services.decisions import decision_confirm
from evaluation.services.runs import evaluation_run_request
from tests.browser.test_journeys import sign_in
from tests.factories import UserFactory, add_value, meet_every_target

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_an_official_finds_the_finalised_result_and_its_scorecard(page, live_server, shenyang):
    participation, _official, reviewer = shenyang
    meet_every_target(participation.city)
    run = evaluation_run_request(
        programme=participation.programme, trigger=EvaluationRun.Trigger.API, by=reviewer
    )
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    signer = UserFactory(username="zhao.min", first_name="赵敏")
    signer.groups.add(Group.objects.get(name="reviewers"))
    sign_in(page, live_server)
    # Awaiting sign-off: nothing is shown yet, and the page says so in words.
    assert "本市尚无评价结果" in page.inner_text("#result")

    decision = TrancheDecision.objects.get(city_result__run=run)
    decision_confirm(decision=decision, by=signer)
    page.reload()

    result = page.inner_text("#result")
    assert "100.00" in result and "优" in result
    assert "已签批" in result and "定稿" in result
    amount = f"{decision.recommended_amount:,.2f}"
    assert amount in result
    page.click("#result a:has-text('评分卡')")
    page.wait_for_url(re.compile(rf"/reports/runs/{run.pk}/cities/210100/$"))
    assert "沈阳市评分卡" in page.inner_text("h1")
    assert "财政部 · 国家知识产权局" in page.inner_text(".letterhead")
    assert "赵敏" in page.inner_text("table.signatures")
    page.click("a.home")
    page.wait_for_url(re.compile(rf"/city/{participation.pk}/$"))
    assert "我市进展" in page.inner_text("h1")


def test_an_official_fills_a_quarter_in_excel_and_submits_it_in_one_step(
    page, live_server, shenyang, tmp_path
):
    participation, _official, _reviewer = shenyang
    add_value(participation.city, "pledge_projects", "2021-02", "3")  # approved already
    sign_in(page, live_server)
    page.click("nav.tabs a:has-text('Excel')")
    for month in ("2021-01", "2021-02", "2021-03"):
        page.check(f"#choose input[value='{month}']")
    with page.expect_download() as download:
        page.click("#choose button[type=submit]")
    path = tmp_path / "一季度.xlsx"
    download.value.save_as(path)
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(min_row=3))
    # Three months of ten indicators, less the figure already approved.
    assert {row[1].value for row in rows} == {"2021-01", "2021-02", "2021-03"}
    assert len(rows) == 29
    for row in rows:
        row[5].value = "1,200" if row[2].value == "transfer_licence_count" else 2
    workbook.save(path)

    page.click("nav.tabs a:has-text('Excel')")
    page.set_input_files("#id_file", str(path))
    page.click("button[value=check]")
    assert page.locator("#file-errors, #file-error").count() == 0
    preview = page.locator("table.preview tbody tr")
    assert preview.count() == 29
    assert "1,200" in preview.first.inner_text() and "1,200.00" not in preview.first.inner_text()
    page.click("button[value=load]")

    page.wait_for_url(re.compile(r"/submit/\?period=2021-01&period=2021-02&period=2021-03$"))
    assert page.locator("table.submit input[type=checkbox]:checked").count() == 3
    page.click("button.primary:has-text('提交所勾选的报表审核')")
    page.wait_for_url(re.compile(r"/periods/$"))
    assert "已提交审核：2021-01, 2021-02, 2021-03" in page.inner_text(".messages")
    assert sorted(Report.objects.values_list("number", "status")) == [
        (1, "submitted"),
        (2, "submitted"),
        (3, "submitted"),
    ]


def test_a_refused_submit_puts_the_summary_on_top_and_the_focus_on_the_first_error(
    page, live_server, shenyang
):
    participation, _official, _reviewer = shenyang
    sign_in(page, live_server)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"{live_server.url}/city/{participation.pk}/periods/2021-03/")
    page.fill("#id_pledge_projects", "4")
    page.fill("#id_pledge_amount", "十二")
    page.wait_for_timeout(800)
    page.click("button[value=submit]")
    page.wait_for_load_state()

    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert "未保存任何数据" in summary.inner_text()
    assert "知识产权质押融资金额（万元）" in summary.inner_text()
    # The focus is on the field in error, its message beside it; the summary links to it.
    assert page.evaluate("document.activeElement.id") == "id_pledge_amount"
    assert "十二" in page.locator("#msg-pledge_amount").inner_text()
    assert summary.locator("a").get_attribute("href") == "#id_pledge_amount"
    assert not Report.objects.exists()
