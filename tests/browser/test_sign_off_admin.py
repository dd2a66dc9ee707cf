"""A reviewer signs money off in the admin, in Chinese, in a real browser: the confirmation
page lists each city, its grade, the amount and the total before anything is signed; the
override states its unit and refuses an amount that looks like a slip of unit."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group

from evaluation.models import EvaluationRun, Programme, TrancheDecision
from evaluation.services.runs import evaluation_run_request
from tests.browser.conftest import PASSWORD
from tests.factories import ParticipationFactory, UserFactory, meet_every_target

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shots(tmp_path) -> str:
    """Where the screenshots go: the test's own temporary directory."""
    return str(tmp_path / "sign-off")


def person(username: str, name: str):
    user = UserFactory(username=username, first_name=name, last_name="", is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(Group.objects.get(name="reviewers"))
    return user


@pytest.fixture
def run(live_server):
    """An official run of two cities requested by one reviewer (赵敏), for another (王芳) to sign
    off: Shenyang is recommended the remaining 50 million yuan, Kunming (no figures) nothing."""
    programme = Programme.objects.get(code="2020")
    shenyang = ParticipationFactory(
        programme=programme, city__code="210100", city__name_en="Shenyang", city__name_zh="沈阳市"
    )
    ParticipationFactory(
        programme=programme, city__code="530100", city__name_en="Kunming", city__name_zh="昆明市"
    )
    meet_every_target(shenyang.city)
    requester = person("zhao.min", "赵敏")
    person("wang.fang", "王芳")
    queued = evaluation_run_request(programme=programme, trigger="admin", by=requester)
    finished = EvaluationRun.objects.get(pk=queued.pk)
    assert finished.status == "succeeded", finished.error
    return finished


def sign_in(page, live_server) -> None:
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "wang.fang")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))


def test_the_sign_off_shows_what_is_signed_before_it_is_signed(page, live_server, run, shots):
    sign_in(page, live_server)
    todo = page.inner_text("#reviewer-todo")
    assert "待您签批的资金决定" in todo and page.inner_text("#todo-decisions") == "2"
    page.screenshot(path=f"{shots}-index.png", full_page=True)

    page.goto(live_server.url + "/admin/evaluation/tranchedecision/")
    page.check("#action-toggle")
    page.select_option("select[name=action]", "confirm")
    page.click("button[name=index]")
    page.wait_for_selector("#sign-off-rows")
    page.screenshot(path=f"{shots}-confirm.png", full_page=True)
    rows = page.inner_text("#sign-off-rows")
    assert "签批这些资金决定？" in page.inner_text("#content")
    assert "210100 沈阳市" in rows and "530100 昆明市" in rows
    assert "50,000,000.00 元" in rows and "5,000.00 万元" in rows
    assert "分，优" in rows and "暂缓拨付" in rows
    assert page.inner_text("#sign-off-total") == "50,000,000.00 元"
    # Nothing is signed by the confirmation page.
    assert set(TrancheDecision.objects.values_list("status", flat=True)) == {"recommended"}

    page.click("input[name=apply]")
    page.wait_for_selector("ul.messagelist")
    page.screenshot(path=f"{shots}-signed.png", full_page=True)
    said = page.inner_text("ul.messagelist")
    assert "已按建议签批 2 项资金决定，合计 50,000,000.00 元。" in said
    assert f"评价 #{run.pk} 已定稿" in said
    link = page.locator("ul.messagelist a")
    assert link.inner_text() == "决定记录（PDF）"
    assert link.get_attribute("href") == f"/reports/runs/{run.pk}/decision-record.pdf"
    assert set(TrancheDecision.objects.values_list("status", flat=True)) == {"confirmed"}
    assert {d.decided_by.username for d in TrancheDecision.objects.all()} == {"wang.fang"}


def test_an_override_in_yuan_refuses_a_slip_of_unit_until_confirmed(page, live_server, run, shots):
    shenyang = TrancheDecision.objects.get(city_result__participation__city__code="210100")
    sign_in(page, live_server)
    page.goto(live_server.url + "/admin/evaluation/tranchedecision/")
    page.check(f"input[name=_selected_action][value='{shenyang.pk}']")
    page.select_option("select[name=action]", "override")
    page.click("button[name=index]")
    page.wait_for_selector("#override-decision")
    assert "金额（元）" in page.inner_text("label[for=id_amount]")
    assert "50,000,000.00 元（5,000.00 万元）" in page.inner_text("#override-remaining")

    # 3000 meant as 3,000 万元: refused, nothing changes.
    page.fill("#id_amount", "3000")
    page.fill("#id_reason", "审计发现重复计算的质押项目")
    page.click("input[name=apply]")
    page.wait_for_selector(".errorlist")
    page.screenshot(path=f"{shots}-override-refused.png", full_page=True)
    assert "3,000.00 元不足剩余资金 50,000,000.00 元的 1%" in page.inner_text(".errorlist")
    assert TrancheDecision.objects.get(pk=shenyang.pk).status == "recommended"

    page.fill("#id_amount", "30000000")
    page.click("input[name=apply]")
    page.wait_for_selector("ul.messagelist")
    page.screenshot(path=f"{shots}-overridden.png", full_page=True)
    assert "已改定：210100 沈阳市" in page.inner_text("ul.messagelist")
    assert "30,000,000.00 元" in page.inner_text("ul.messagelist")
    decision = TrancheDecision.objects.get(pk=shenyang.pk)
    assert (decision.status, str(decision.final_amount)) == ("overridden", "30000000.00")
