"""Foresight and follow-through in a real browser, in Chinese: an official sees where the city
is heading and answers a rectification item with a file of evidence; a reviewer makes a draft
ruleset, changes it and sees what it would change, city by city."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone, translation

from evaluation.forecasts import city_forecast
from evaluation.models import (
    EvaluationRun,
    MetricValue,
    OfficialAssignment,
    RectificationItem,
)
from evaluation.services.runs import evaluation_run_request
from reports.models import DraftComparison
from tests.factories import ParticipationFactory, UserFactory, add_value, meet_every_target
from tests.followup import half_way, sign_off

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "a-long-portal-password-1"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def person(username: str, *, group: str | None = None):
    user = UserFactory(username=username)
    user.set_password(PASSWORD)
    if group is not None:
        user.is_staff = True
    user.save()
    if group is not None:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def programme(live_server):
    from evaluation.models import Programme

    return Programme.objects.get(code="2020")


@pytest.fixture
def shenyang(programme):
    """Shenyang reports month by month (a forecast to make) and is graded poor in a finalised
    official run (items to rectify)."""
    participation = ParticipationFactory(
        programme=programme, city__code="210100", city__name_en="Shenyang", city__name_zh="沈阳市"
    )
    half_way(participation.city, growth=100, cumulative=1)
    official = person("li.wei")
    OfficialAssignment.objects.create(user=official, participation=participation)
    first, second = (
        person("reviewer.one", group="reviewers"),
        person("reviewer.two", group="reviewers"),
    )
    run = evaluation_run_request(programme=programme, trigger=EvaluationRun.Trigger.ADMIN, by=first)
    sign_off(EvaluationRun.objects.get(pk=run.pk), second)
    return participation


def sign_in(page, live_server, username: str) -> None:
    page.goto(live_server.url + "/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/city/\d+/$"))


def test_an_official_sees_the_forecast_and_answers_a_rectification_item(
    page, live_server, shenyang, tmp_path
):
    sign_in(page, live_server, "li.wei")
    page.click("nav.tabs >> text=预测")
    page.wait_for_url(re.compile(r"/forecast/$"))
    summary = page.inner_text(".forecast-summary")
    with translation.override("zh-hans"):
        expected = city_forecast(
            participation=shenyang, fetched_by=None, today=timezone.localdate()
        )
    assert "按当前进度" in summary
    assert expected.likely.grade_label in summary
    assert f"{expected.likely.amount:,.2f} 元" in summary
    assert "要" in page.inner_text(".forecast-need") and "达到" in page.inner_text(".forecast-need")
    assert page.locator("table.forecast tbody tr").count() == 10

    page.click("nav.tabs >> text=整改")
    page.wait_for_url(re.compile(r"/rectification/$"))
    items = RectificationItem.objects.filter(participation=shenyang)
    assert page.locator("table.rectification tbody tr").count() == items.count() > 0
    page.locator("a.button.primary").first.click()
    page.wait_for_selector("#answer-form")
    page.fill("#id_measures", "设立知识产权质押融资风险补偿资金 2,000 万元，已拨付首期 500 万元")
    page.fill("#id_evidence_note", "市财政局文件")
    evidence = tmp_path / "通知.pdf"
    evidence.write_bytes(b"%PDF-1.4 notice")
    page.set_input_files("#id_evidence_file", str(evidence))
    page.click("#answer-form button[type=submit]")
    page.wait_for_url(re.compile(r"/rectification/$"))

    assert "整改答复已提交" in page.inner_text(".messages")
    answered = RectificationItem.objects.get(participation=shenyang, status="answered")
    assert answered.answered_by.username == "li.wei"
    assert answered.evidence_name == "通知.pdf"
    assert "已答复，待审核" in page.inner_text("table.rectification")


@pytest.fixture
def reviewer_and_cities(programme):
    """Hefei meets every target but certified entities (100 of 133.33 due): 96.25, excellent;
    Wuhan meets every target."""
    hefei = ParticipationFactory(
        programme=programme, city__code="340100", city__name_en="Hefei", city__name_zh="合肥市"
    )
    meet_every_target(hefei.city)
    MetricValue.objects.filter(city=hefei.city, indicator__code="certified_entities").update(
        value=100
    )
    wuhan = ParticipationFactory(
        programme=programme, city__code="420100", city__name_en="Wuhan", city__name_zh="武汉市"
    )
    meet_every_target(wuhan.city)
    add_value(wuhan.city, "operation_centres", "2021", "1")
    return person("wang.fang", group="reviewers")


def test_a_reviewer_compares_a_draft_ruleset(page, live_server, reviewer_and_cities):
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "wang.fang")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.goto(live_server.url + "/admin/")
    page.click("#reports-foresight >> text=规则集草稿与模拟比较")
    page.click("#new-draft")
    page.wait_for_url(re.compile(r"/admin/reports/drafts/\d+/$"))
    assert "规则集草稿 2020-v2" in page.inner_text("#content")

    page.fill("[name=rule-certified_entities-weight]", "45")
    page.fill("[name=rule-transfer_licence_count-weight]", "0")
    page.fill("[name=rule-pledge_amount-weight]", "0")
    page.fill("[name=compare-as_of]", "2021-12-31")
    page.click("#compare")
    page.wait_for_url(re.compile(r"/admin/reports/comparisons/\d+/$"))
    page.wait_for_selector("#comparison-table", timeout=30_000)

    changes = page.inner_text("#rule-changes")
    assert "权重 15 → 45" in changes and "权重 20 → 0" in changes
    hefei = page.locator('#comparison-table tr[data-city="340100"]')
    assert "tier-change" in (hefei.get_attribute("class") or "")
    row = hefei.inner_text()
    assert "96.25 → 88.75" in row and "优 → 良" in row
    assert "50,000,000.00 → 40,000,000.00" in row
    assert "权重 15 → 45" in row  # the rule that caused it
    assert "100,000,000.00" in page.inner_text("#totals")
    assert "90,000,000.00" in page.inner_text("#totals")
    comparison = DraftComparison.objects.get()
    assert comparison.status == DraftComparison.Status.READY
    assert not EvaluationRun.objects.exists()  # a what-if is not a run
