"""Evidence and a value returned, in Chinese, in a real browser, the whole way round: the
official fills in March and attaches a contract to a value; the reviewer, in the admin, sees it
beside the value and returns that one value with a reason; the official sees it marked with
the reason, replies, fixes it, attaches the registration extract and submits again; the
reviewer reads the conversation and the diff (old → new, the file added). Screenshots are
kept under the test's temporary directory (and in docs/screenshots when ``SCREENSHOTS`` is
set)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from evaluation.models import Evidence, Report, ReportComment
from tests.browser.test_journeys import settle, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-portal-password-1"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def go(page, selector: str, url) -> None:
    """Click and wait for the page it leads to (its HTML, not every last resource)."""
    page.click(selector)
    page.wait_for_url(url, wait_until="domcontentloaded", timeout=90_000)


def shot(page, tmp_path: Path, name: str) -> None:
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    if os.environ.get("SCREENSHOTS"):
        page.screenshot(path=f"docs/screenshots/{name}.png", full_page=True)


def test_evidence_a_value_returned_a_reply_a_fix_and_the_diff(
    page, live_server, shenyang, tmp_path
):
    participation, _official, reviewer = shenyang
    page.set_default_timeout(90_000)
    reviewer.set_password(PASSWORD)
    reviewer.is_staff = True
    reviewer.first_name = "王芳"
    reviewer.save()
    contract = tmp_path / "质押合同.pdf"
    contract.write_bytes(PDF)
    extract = tmp_path / "登记摘录.pdf"
    extract.write_bytes(PDF + b"% extract\n")

    # The official fills in March and attaches the contract to the pledge projects.
    sign_in(page, live_server)
    march = f"{live_server.url}/city/{participation.pk}/periods/2021-03/"
    page.goto(march)
    for field in page.locator("input.value").all():
        field.fill("0")
    page.fill("#id_pledge_projects", "7")
    settle(page)
    go(page, "button[value=save]", re.compile(r"/periods/2021-03/(#.*)?$"))
    page.set_input_files("#evidence-pledge_projects input[type=file]", str(contract))
    go(page, "#evidence-pledge_projects button:has-text('上传')", re.compile(r"/periods/2021-03/"))
    assert "质押合同.pdf" in page.inner_text("#evidence-pledge_projects")
    shot(page, tmp_path, "evidence-1-attached")
    go(page, "button[value=submit]", re.compile(r"/periods/(#.*)?$"))
    report = Report.objects.get()
    assert report.status == "submitted"

    # The reviewer sees the file beside the value and returns that one value.
    # The reviewer in a browser of their own (a session apart from the official's).
    assert page.context.browser is not None
    admin = page.context.browser.new_context(locale="zh-CN").new_page()
    admin.set_default_timeout(90_000)
    admin.goto(live_server.url + "/admin/login/")
    admin.fill("#id_username", "wang.fang")
    admin.fill("#id_password", PASSWORD)
    admin.click("input[type=submit]")
    admin.goto(f"{live_server.url}/admin/evaluation/report/{report.pk}/change/")
    assert "质押合同.pdf" in admin.inner_text("#content")
    admin.click("input[value='退回单项数值…']")
    admin.fill("#id_reason-pledge_projects", "项目数与登记系统不符，请附登记摘录")
    shot(admin, tmp_path, "evidence-2-return-one-value")
    go(admin, "input[name=apply]", re.compile(rf"/admin/evaluation/report/{report.pk}/change/$"))
    assert Report.objects.get().status == "returned"

    # The official sees which value to fix and why, replies, fixes it, attaches the extract.
    page.goto(march)
    row = page.locator("#row-pledge_projects")
    assert "项目数与登记系统不符" in row.inner_text()
    assert "returned-value" in (row.get_attribute("class") or "")
    assert page.locator("#id_pledge_amount").count() == 1
    shot(page, tmp_path, "evidence-3-value-returned")
    page.fill("#id_answer", "已按登记系统更正为 9 项，并附登记摘录。")
    go(page, "button[value=answer]", re.compile(r"#answers$"))
    page.fill("#id_pledge_projects", "9")
    settle(page)
    go(page, "button[value=save]", re.compile(r"/periods/2021-03/(#.*)?$"))
    page.set_input_files("#evidence-pledge_projects input[type=file]", str(extract))
    go(page, "#evidence-pledge_projects button:has-text('上传')", re.compile(r"/periods/2021-03/"))
    assert "登记摘录.pdf" in page.inner_text("#evidence-pledge_projects")
    thread = page.inner_text("#answers")
    assert "项目数与登记系统不符" in thread and "已按登记系统更正为 9 项" in thread
    shot(page, tmp_path, "evidence-4-fixed")
    go(page, "button[value=submit]", re.compile(r"/periods/(#.*)?$"))

    # The reviewer reads the conversation and what changed since the return.
    admin.goto(f"{live_server.url}/admin/evaluation/report/{report.pk}/change/")
    content = admin.inner_text("#content")
    assert "已按登记系统更正为 9 项" in content
    diff = admin.inner_text("table.changes-since-return")
    reason = "项目数与登记系统不符，请附登记摘录"
    assert re.search(
        rf"知识产权质押融资项目数\S*\s+{reason}\s+7 项\s+9 项\s+登记摘录\.pdf", diff
    ), diff
    shot(admin, tmp_path, "evidence-5-diff")
    assert Evidence.objects.filter(removed_at__isnull=True).count() == 2
    assert list(ReportComment.objects.values_list("kind", flat=True)) == ["return", "reply"]
