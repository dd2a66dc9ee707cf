"""The two journeys of the issue, in Chinese, in a real browser."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from evaluation.models import MetricValue, Report
from evaluation.services import reporting
from tests.browser.conftest import PASSWORD
from tests.factories import INDICATORS_2020, add_value

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def sign_in(page, live_server) -> None:
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.fill("#id_username", "li.wei")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/city/\d+/$"))


def settle(page) -> None:
    """Let the inline checks still in flight finish (htmx waits 400 ms after typing), so the
    submission does not race them on the test's SQLite database."""
    page.wait_for_timeout(800)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def approved_text(page, code: str) -> str:
    return page.locator(f"#ind-{code} dd.approved").inner_text()


def test_enter_submit_returned_corrected_approved_and_the_dashboard_moves(
    page, live_server, shenyang
):
    participation, _official, reviewer = shenyang
    sign_in(page, live_server)
    assert "沈阳市" in page.inner_text("header")
    assert approved_text(page, "sme_transformations").startswith("0 ")

    page.goto(f"{live_server.url}/city/{participation.pk}/periods/2021-03/")
    for code in INDICATORS_2020:
        page.fill(f"#id_{code}", "0")
    page.fill("#id_sme_transformations", "-2")
    page.locator("#id_pledge_projects").focus()
    # The file rule is applied as the official types, next to the field.
    page.wait_for_selector("#msg-sme_transformations.error")
    page.fill("#id_sme_transformations", "7")
    page.locator("#id_pledge_projects").focus()
    page.wait_for_selector("#msg-sme_transformations:not(.error)", state="attached")
    settle(page)
    page.click("button[value=submit]")
    page.wait_for_url(re.compile(r"/periods/$"))
    report = Report.objects.get()
    assert report.status == "submitted"

    reporting.report_return(report=report, comment="中小企业数请按合同核对", by=reviewer)
    page.reload()
    first = page.locator(".returned-note").first
    assert "中小企业数请按合同核对" in first.inner_text()
    first.locator("a").click()
    assert "中小企业数请按合同核对" in page.inner_text(".returned-note")
    page.fill("#id_sme_transformations", "9")
    settle(page)
    page.click("button[value=submit]")
    page.wait_for_url(re.compile(r"/periods/$"))
    report.refresh_from_db()
    assert report.status == "submitted"

    page.goto(f"{live_server.url}/city/{participation.pk}/")
    assert approved_text(page, "sme_transformations").startswith("0 ")
    assert page.locator("#ind-sme_transformations dd.pending").inner_text().startswith("9 ")
    reporting.report_approve(report=report, by=reviewer)
    page.reload()
    assert approved_text(page, "sme_transformations").startswith("9 ")
    assert page.locator("#ind-sme_transformations dd.pending").inner_text().startswith("0 ")
    assert page.locator("#ind-sme_transformations svg").count() >= 1  # the chart was drawn


def test_excel_template_one_bad_cell_corrected_then_loaded(page, live_server, shenyang, tmp_path):
    participation, _official, _reviewer = shenyang
    add_value(participation.city, "pledge_projects", "2021-02", "3")
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/city/{participation.pk}/periods/2021-03/")
    with page.expect_download() as download:
        page.click('a[href*="template.xlsx?period=2021-03"]')
    path = tmp_path / "模板.xlsx"
    download.value.save_as(path)
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    assert sheet["A2"].value == "城市代码"
    for row in range(3, 13):
        sheet.cell(row, 6).value = 5
    sheet.cell(5, 6).value = "5.5"  # pledge_projects: counts are whole numbers
    workbook.save(path)

    page.goto(f"{live_server.url}/city/{participation.pk}/excel/")
    page.set_input_files("#id_file", str(path))
    page.click("button[value=check]")
    errors = page.locator("table.errors")
    assert "数值" in errors.inner_text() and "5.5" in errors.inner_text()
    assert not MetricValue.objects.filter(year=2021, number=3).exists()

    sheet.cell(5, 6).value = 5
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(buffer.getvalue())
    page.set_input_files("#id_file", str(path))
    page.click("button[value=check]")
    assert page.locator("table.preview tbody tr").count() == 10
    page.click("button[value=load]")
    page.wait_for_url(re.compile(r"/submit/\?period=2021-03$"))
    assert MetricValue.objects.filter(year=2021, number=3).count() == 10
    assert Report.objects.get().status == "draft"
