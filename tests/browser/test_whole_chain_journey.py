"""The whole chain as people do it, in Chinese, in a real browser, through the pages only: the
city files its 2021 figures with a contract attached to a value; the province (省级复核) returns
one single value with its reason and a comment; the official reads it, answers in the
conversation, fixes the value (the only one open to change), attaches the registration extract
and submits again; the province forwards the report to the ministry with its opinion; the
ministry, reading the province's review, returns another single value, the only one the
official may then change (the others read-only on the page, saying why); fixed, forwarded
again, the ministry approves it. On the approved figures the city submits its self-evaluation
(自评) with the reason for its one shortfall (偏差原因) and its measures, which the province
forwards. The ministry draws a spot check, a checker records a verified value that differs from
the one the city filed, the ministry runs the evaluation, and the city's scorecard shows the
lower points and why.

Only the programme, the people and the earlier years' figures are set up by code. Both the
province and the ministry return single values (``reporting.report_return_values``: the
table's ``send_back_values`` and ``return_values`` steps). Screenshots of every page are kept
under the test's temporary directory (and in docs/screenshots when ``SCREENSHOTS`` is set)."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest

from evaluation.models import (
    EvaluationRun,
    IndicatorResult,
    OfficialAssignment,
    Programme,
    ProvincialOpinion,
    Report,
    ReportComment,
    SelfEvaluation,
    SpotCheckItem,
)
from evaluation.services.people import province_bind
from tests.browser.conftest import PASSWORD
from tests.browser.test_journeys import settle
from tests.checks import checker_named, ruleset_with_checks
from tests.factories import CityFactory, ParticipationFactory, UserFactory, add_value
from tests.parts import reviewer_named

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# The 2021 report as the official types it: the pledge projects mistyped (20 for 200).
TYPED = {
    "transfer_licence_count": "200",
    "pledge_amount": "200",
    "pledge_projects": "20",
    "contract_turnover": "196",
    "sme_transformations": "10",
    "certified_entities": "20",
    "securitization_products": "0",
    "navigation_projects": "1",
    "trusteeship_smes": "100",
    "operation_centres": "0",
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def person(user, name: str):
    user.first_name, user.last_name = name, ""
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def hefei(live_server):
    """Hefei (Anhui, 34) in the 2020 programme with the provincial review and the spot checks'
    ruleset; its earlier figures approved (2019 for the growth indicators, 2020 for the running
    totals: one operation centre of the two due by the mid-term); its official 李伟, Anhui's
    reviewer 陈静, the ministry's reviewer 王芳 and the checker 赵强."""
    programme = Programme.objects.get(code="2020")
    Programme.objects.filter(pk=programme.pk).update(provincial_review=True)
    ruleset_with_checks(programme, deduction="2")
    city = CityFactory(code="340100", name_en="Hefei", name_zh="合肥市", province="Anhui")
    participation = ParticipationFactory(programme=programme, city=city)
    for code in ("transfer_licence_count", "pledge_amount", "pledge_projects", "contract_turnover"):
        add_value(city, code, "2019", "100")
    for code, total in (
        ("sme_transformations", "67"),
        ("certified_entities", "134"),
        ("securitization_products", "1"),
        ("navigation_projects", "4"),
        ("trusteeship_smes", "667"),
        ("operation_centres", "1"),
    ):
        add_value(city, code, "2020", total)
    official = person(UserFactory(username="li.wei"), "李伟")
    OfficialAssignment.objects.create(user=official, participation=participation)
    province = person(UserFactory(username="anhui.chen"), "陈静")
    province_bind(user=province, province="34")
    person(reviewer_named("wang.fang"), "王芳")
    person(checker_named("zhao.qiang"), "赵强")
    return participation


def shot(page, tmp_path: Path, name: str) -> None:
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    if os.environ.get("SCREENSHOTS"):
        page.screenshot(path=f"docs/screenshots/{name}.png", full_page=True)


def go(page, selector: str, url) -> None:
    """Click and wait for the page it leads to (its HTML, not every last resource)."""
    page.click(selector)
    page.wait_for_url(url, wait_until="domcontentloaded", timeout=90_000)


def window(page, live_server, username: str, *, admin: bool = False):
    """A browser window of the person's own (a session apart), signed in."""
    assert page.context.browser is not None
    own = page.context.browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    own_page = own.new_page()
    own_page.set_default_timeout(90_000)
    if admin:
        own_page.goto(live_server.url + "/admin/login/")
        own_page.fill("#id_username", username)
        own_page.fill("#id_password", PASSWORD)
        go(own_page, "#login-form [type=submit]", re.compile(r"/admin/$"))
    else:
        own_page.goto(live_server.url + "/")
        assert own_page.locator("html").get_attribute("lang") == "zh-hans"
        own_page.fill("#id_username", username)
        own_page.fill("#id_password", PASSWORD)
        go(own_page, "button[type=submit]", re.compile(r"/(city/\d+|province|checks)/$"))
    return own_page


def typed(page) -> None:
    """Leave the field typed in and let its inline check finish, so that the check its blur
    sends does not race the form's submission on the test's SQLite database."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    settle(page)


def text(page, selector: str = "main") -> str:
    return re.sub(r"\s+", " ", page.inner_text(selector))


def test_the_city_the_province_and_the_ministry_from_the_figures_to_the_scorecard(
    page, live_server, hefei, tmp_path
):
    participation = hefei
    page.set_default_timeout(90_000)
    contract = tmp_path / "质押合同.pdf"
    contract.write_bytes(PDF)
    extract = tmp_path / "登记摘录.pdf"
    extract.write_bytes(PDF + b"% extract\n")
    year = f"{live_server.url}/city/{participation.pk}/periods/2021/"
    periods = re.compile(rf"/city/{participation.pk}/periods/(#.*)?$")

    # 1. The official files the 2021 figures and attaches the contract to the pledge projects.
    official = window(page, live_server, "li.wei")
    official.goto(year)
    assert text(official, "h1") == "2021 报表"
    for code, value in TYPED.items():
        official.fill(f"#id_{code}", value)
    typed(official)
    go(official, "button[value=save]", re.compile(r"/periods/2021/(#.*)?$"))
    assert "已保存草稿：2021。" in text(official)
    official.set_input_files("#evidence-pledge_projects input[type=file]", str(contract))
    go(official, "#evidence-pledge_projects button:has-text('上传')", re.compile(r"/periods/2021/"))
    assert "质押合同.pdf" in official.inner_text("#evidence-pledge_projects")
    shot(official, tmp_path, "chain-01-city-files-2021")
    go(official, "button[value=submit]", periods)
    assert "已提交审核：2021。" in text(official)
    shot(official, tmp_path, "chain-02-city-submitted")
    report = Report.objects.get()
    assert report.status == "submitted"

    # 2. The province sees the report awaiting it, and returns the one value to fix with its
    # reason and a word on the whole report.
    province = window(page, live_server, "anhui.chen")
    assert re.search(r"/province/$", province.url)
    awaiting = text(province, "#awaiting-reports")
    assert "合肥市 · 2021" in awaiting
    shot(province, tmp_path, "chain-03-province-home")
    go(province, "#awaiting-reports a", re.compile(rf"/province/reports/{report.pk}/$"))
    shown = text(province)
    assert "合肥市 2021 报表" in shown and "知识产权质押融资项目数 20 项" in shown
    assert text(province, "label[for=id_reason-pledge_projects]") == "知识产权质押融资项目数"
    reason = "填报为 20 项，与登记系统的 200 项不符，请核实更正并附登记摘录。"
    comment = "请核实后重新报送。"
    province.fill("#id_reason-pledge_projects", reason)
    province.fill("#id_comment", comment)
    shot(province, tmp_path, "chain-04-province-returns-one-value")
    go(province, "button[value=send_back_values]", re.compile(r"/province/$"))
    assert "已退回城市：知识产权质押融资项目数。" in text(province, ".messages")
    assert Report.objects.get().status == "returned"

    # The official sees the comment and the value's reason, answers in the conversation, fixes
    # the value (the others read-only), attaches the registration extract and submits again.
    official.goto(year)
    note = text(official, ".returned-note")
    assert comment in note and f"知识产权质押融资项目数：{reason}" in note
    assert reason in official.locator("#row-pledge_projects").inner_text()
    assert official.locator("#id_pledge_projects").get_attribute("readonly") is None
    assert official.locator("#id_pledge_amount").get_attribute("readonly") is not None
    shot(official, tmp_path, "chain-05-city-sees-the-return")
    official.fill("#id_answer", "已按登记系统更正为 200 项，并附登记摘录。")
    go(official, "button[value=answer]", re.compile(r"#answers$"))
    official.fill("#id_pledge_projects", "200")
    typed(official)
    go(official, "button[value=save]", re.compile(r"/periods/2021/(#.*)?$"))
    official.set_input_files("#evidence-pledge_projects input[type=file]", str(extract))
    go(official, "#evidence-pledge_projects button:has-text('上传')", re.compile(r"/periods/2021/"))
    evidence = official.inner_text("#evidence-pledge_projects")
    assert "质押合同.pdf" in evidence and "登记摘录.pdf" in evidence
    thread = text(official, "#answers")
    assert comment in thread and reason in thread and "已按登记系统更正为 200 项" in thread
    assert "陈静" in thread and "李伟" in thread
    shot(official, tmp_path, "chain-06-city-fixed")
    go(official, "button[value=submit]", periods)
    assert Report.objects.get().status == "submitted"

    # The province forwards the report to the ministry with its opinion.
    province.goto(f"{live_server.url}/province/")
    go(province, "#awaiting-reports a", re.compile(rf"/province/reports/{report.pk}/$"))
    assert "知识产权质押融资项目数 200 项" in text(province)
    assert comment in text(province, "#opinions")
    opinion = "已核对登记系统，数据属实，同意报部。"
    province.fill("#province-text", opinion)
    shot(province, tmp_path, "chain-07-province-forwards")
    go(province, "button[value=forward]", re.compile(r"/province/$"))
    assert "已附省级复核意见报送部委。" in text(province, ".messages")
    assert Report.objects.get().status == "forwarded"
    assert list(ProvincialOpinion.objects.values_list("step", flat=True).order_by("pk")) == [
        "send_back",
        "forward",
    ]

    # 3. The ministry reads the report with the province's opinion and approves it.
    ministry = window(page, live_server, "wang.fang", admin=True)
    ministry.goto(f"{live_server.url}/admin/evaluation/report/{report.pk}/change/")
    content = text(ministry, "#content")
    said = text(ministry, "ol.province-review")
    assert "陈静" in said and comment in said and opinion in said
    assert "省级已报送，待部委审核" in content
    assert "已按登记系统更正为 200 项" in content
    assert "登记摘录.pdf" in content
    shot(ministry, tmp_path, "chain-08-ministry-reads")

    # The ministry returns one single value too; the official may change that one only: the
    # others are read-only on the page, saying why.
    ministry.click("input[formaction$='/review/return_values/']")
    ministry.wait_for_selector("#id_reason-pledge_amount")
    assert text(ministry, "label[for=id_reason-pledge_amount]") == "知识产权质押融资金额（万元）"
    why = "质押融资金额应按实际放款额统计，请核对并附放款凭证"
    ministry.fill("#id_reason-pledge_amount", why)
    shot(ministry, tmp_path, "chain-08a-ministry-returns-one-value")
    go(
        ministry,
        "input[name=apply]",
        re.compile(rf"/admin/evaluation/report/{report.pk}/change/$"),
    )
    assert "已退回城市：知识产权质押融资金额（万元）。" in text(ministry, ".messagelist")
    assert Report.objects.get().status == "returned"
    official.goto(year)
    row = official.locator("#row-pledge_amount")
    assert why in row.inner_text()
    assert "returned-value" in (row.get_attribute("class") or "")
    assert official.locator("#id_pledge_amount").get_attribute("readonly") is None
    assert official.locator("#id_pledge_projects").get_attribute("readonly") is not None
    kept = "未退回给您：在审核人员再次收到报表之前保持提交时的数值。"
    assert kept in text(official, "#row-pledge_projects")
    assert "只有退回给您的数值可以修改：知识产权质押融资金额（万元）。" in text(
        official, ".returned-note"
    )
    assert official.locator("#evidence-pledge_projects input[type=file]").count() == 0
    shot(official, tmp_path, "chain-08b-city-one-value-open")
    official.fill("#id_pledge_amount", "180")
    typed(official)
    go(official, "button[value=save]", re.compile(r"/periods/2021/(#.*)?$"))
    assert "已保存草稿：2021。" in text(official)
    go(official, "button[value=submit]", periods)
    assert Report.objects.get().status == "submitted"
    province.goto(f"{live_server.url}/province/")
    go(province, "#awaiting-reports a", re.compile(rf"/province/reports/{report.pk}/$"))
    assert "知识产权质押融资金额（万元） 180.00 万元" in text(province)
    province.fill("#province-text", "放款额已核对，同意报部。")
    go(province, "button[value=forward]", re.compile(r"/province/$"))
    ministry.goto(f"{live_server.url}/admin/evaluation/report/{report.pk}/change/")
    changes = text(ministry, "table.changes-since-return")
    assert re.search(
        rf"知识产权质押融资金额（万元）\s+{why}\s+200\.00 万元\s+180\.00 万元", changes
    )
    go(
        ministry,
        "input[formaction$='/review/approve/']",
        re.compile(rf"/admin/evaluation/report/{report.pk}/change/$"),
    )
    assert "已通过：1 / 1。" in text(ministry, ".messagelist")
    assert Report.objects.get().status == "approved"
    shot(ministry, tmp_path, "chain-09-ministry-approved")

    # The city scores itself on the approved figures: one shortfall (one operation centre of
    # the two due by the mid-term), explained and submitted.
    official.goto(f"{live_server.url}/city/{participation.pk}/self-evaluation/")
    shot(official, tmp_path, "chain-10-self-evaluations")
    go(
        official,
        "#self-evaluations form:has(input[value='2021-12-31']) button",
        re.compile(rf"/city/{participation.pk}/self-evaluation/\d+/$"),
    )
    item = SelfEvaluation.objects.get()
    # The pledge projects score full marks on the figures the city filed: 10.00 of 10.00.
    assert re.search(
        r"知识产权质押融资项目数 .* 41\.42% 100\.00% 10\.00 / 10\.00 已达成",
        text(official, "#line-pledge_projects"),
    )
    assert "50,000,000.00" in text(official, ".summary")
    shortfalls = official.locator("tr.shortfall textarea[name^=reason-]")
    assert shortfalls.count() == 1
    assert shortfalls.get_attribute("name") == "reason-operation_centres"
    centres = text(official, "#line-operation_centres")
    assert "2.00" in centres and "1.00" in centres and "50.00%" in centres
    # Submitted without a reason: refused, naming the indicator.
    go(
        official,
        "button[value=submit]",
        re.compile(rf"/city/{participation.pk}/self-evaluation/{item.pk}/$"),
    )
    assert official.locator("#error-summary").count() == 1
    refused = text(official, "#error-summary")
    assert "产业知识产权运营中心建成数 未达到目标：请填写偏差原因" in refused
    assert "产业知识产权运营中心建成数 未达到目标：请填写本市拟采取的整改措施" in refused
    shot(official, tmp_path, "chain-11-self-evaluation-refused")
    assert SelfEvaluation.objects.get().status == "draft"
    official.fill("#reason-operation_centres", "第二个运营中心选址因园区规划调整推迟。")
    official.fill("#measures-operation_centres", "已落实新址，2022 年第二季度建成并投入运营。")
    official.fill("#summary", "除运营中心外，各项指标均已达到中期目标。")
    shot(official, tmp_path, "chain-12-self-evaluation-explained")
    go(
        official,
        "button[value=submit]",
        re.compile(rf"/city/{participation.pk}/self-evaluation/{item.pk}/$"),
    )
    assert "自评已提交：现在可以打印并盖章。" in text(official, ".messages")
    assert SelfEvaluation.objects.get().status == "submitted"
    shown = text(official)
    assert "第二个运营中心选址因园区规划调整推迟。" in shown
    shot(official, tmp_path, "chain-13-self-evaluation-submitted")

    # The province forwards the self-evaluation too.
    province.goto(f"{live_server.url}/province/")
    go(
        province,
        "#awaiting-self-evaluations a",
        re.compile(rf"/province/self-evaluation/{item.pk}/$"),
    )
    assert "第二个运营中心选址因园区规划调整推迟。" in text(province)
    province.fill("#province-text", "偏差原因属实，整改措施可行。")
    shot(province, tmp_path, "chain-14-province-self-evaluation")
    go(province, "button[value=forward]", re.compile(r"/province/$"))
    assert SelfEvaluation.objects.get().status == "forwarded"

    # The ministry draws a spot check of every approved value.
    ministry.goto(live_server.url + "/admin/evaluation/spotcheck/add/")
    ministry.select_option("#id_programme", value=str(participation.programme_id))
    ministry.fill("#id_share", "1")
    ministry.fill("#id_seed", "2021-mid-term")
    go(ministry, "input[name=_save]", re.compile(r"/admin/evaluation/spotcheck/"))
    assert "2021-mid-term" in text(ministry, ".messagelist")
    shot(ministry, tmp_path, "chain-15-spot-check-drawn")
    sampled = SpotCheckItem.objects.get(
        metric_value__indicator__code="pledge_projects", metric_value__year=2021
    )

    # The checker finds 150 projects where the city filed 200.
    checker = window(page, live_server, "zhao.qiang")
    row = text(checker, f"#item-{sampled.pk}")
    assert "合肥市" in row and "知识产权质押融资项目数" in row and "200.00" in row
    shot(checker, tmp_path, "chain-16-checker-list")
    go(checker, f"#item-{sampled.pk} a", re.compile(rf"/checks/{sampled.pk}/$"))
    checker.fill("#verified_value", "150")
    checker.fill("#note", "登记系统中仅能查到 150 项质押登记")
    checker.set_input_files("#evidence", str(extract))
    shot(checker, tmp_path, "chain-17-checker-records")
    go(checker, "#verify button[type=submit]", re.compile(r"/checks/$"))
    assert "核实值已记录" in text(checker, ".messages")
    assert "150.00" in text(checker, f"#item-{sampled.pk}")

    # The ministry runs the mid-term evaluation from the programme's list.
    ministry.goto(live_server.url + "/admin/evaluation/programme/")
    ministry.check(f"input[name=_selected_action][value='{participation.programme_id}']")
    ministry.select_option("select[name=action]", "evaluate_now")
    go(ministry, "button[name=index]", re.compile(r"/admin/evaluation/programme/"))
    queued = text(ministry, ".messagelist")
    shot(ministry, tmp_path, "chain-18-evaluation-run")
    run = EvaluationRun.objects.latest("pk")
    assert f"#{run.pk}" in queued
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    pledge = IndicatorResult.objects.get(city_result__run=run, indicator__code="pledge_projects")
    assert pledge.deducted == Decimal("2.00")

    # The city's scorecard shows what the check found and the changed points, in Chinese.
    ministry.goto(f"{live_server.url}/reports/runs/{run.pk}/cities/340100/")
    card = text(ministry, "main") if ministry.locator("main").count() else text(ministry, "body")
    assert "抽查 2021：申报 200.00，核实 150.00：以核实值替代" in card
    assert "因差异扣 2.00 分" in card
    # 10.00 of 10.00 in the self-evaluation, on the figures the city filed; less now, and why.
    assert pledge.points < Decimal("10")
    row = ministry.locator("tr", has_text="知识产权质押融资项目数").first.inner_text()
    row = re.sub(r"\s+", " ", row)
    assert f"{pledge.points:.2f} / 10.00" in row and "部分达成" in row
    assert "核实 150.00" in row
    shot(ministry, tmp_path, "chain-19-scorecard")
    assert list(ReportComment.objects.values_list("kind", flat=True).order_by("pk")) == [
        "return",
        "reply",
        "return",
    ]
    opinions = ProvincialOpinion.objects.filter(report=report).order_by("pk")
    assert list(opinions.values_list("step", flat=True)) == ["send_back", "forward", "forward"]
    assert ProvincialOpinion.objects.get(self_evaluation=item).step == "forward"
