"""Two journeys of the optional parts, in Chinese, in a real browser: an expert scores a city's
tasks on the panel's page; a reviewer suspends a city's payment on the dual monitoring page
and a second reviewer lifts it, the city's decision refused sign-off in between."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from evaluation.models import PaymentSuspension, TaskScore, TrancheDecision
from evaluation.services import panel
from evaluation.services.decisions import decision_confirm
from evaluation.services.runs import evaluation_run_execute, evaluation_run_request
from tests.factories import ParticipationFactory, UserFactory, meet_every_target
from tests.parts import expert, reviewer_named, ruleset_with_parts

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "a-long-panel-password-1"


def _with_password(user):
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def shenyang(live_server):
    from evaluation.models import Programme

    programme = Programme.objects.get(code="2020")
    ruleset_with_parts(programme)
    participation = ParticipationFactory(
        programme=programme,
        city__code="210100",
        city__name_en="Shenyang",
        city__name_zh="沈阳市",
    )
    panel.task_choices_set(participation=participation, tasks=["fund"], by=None)
    return participation


def test_an_expert_scores_a_citys_tasks_in_chinese(page, live_server, shenyang):
    _with_password(expert("zhou.expert", shenyang))

    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.fill("#id_username", "zhou.expert")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/panel/$"))
    assert "专家评审" in page.inner_text("h1")
    page.click("text=沈阳市 (210100)")
    page.wait_for_url(re.compile(r"/panel/\d+/$"))
    assert "该城市的自评" in page.inner_text("#self-evaluation")

    page.fill("#score-platform", "1.2")
    page.fill("#score-fund", "0.75")
    page.click("button.primary")
    assert "1.2 大于 1" in page.inner_text("#msg-platform")
    assert not TaskScore.objects.exists()

    page.fill("#score-platform", "0.85")
    page.fill("#comment-platform", "平台已服务 40 家企业")
    page.click("button.primary")
    page.wait_for_selector(".messages li")
    assert "您的评分已保存" in page.inner_text(".messages")
    assert sorted(TaskScore.objects.values_list("task__code", "score", "comment")) == [
        ("fund", Decimal("0.75"), ""),
        ("platform", Decimal("0.85"), "平台已服务 40 家企业"),
    ]
    assert page.input_value("#score-platform") == "0.85"


def _admin_sign_in(page, live_server, username: str) -> None:
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form [type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))


def test_a_reviewer_suspends_a_payment_and_a_second_reviewer_lifts_it(
    page, browser, live_server, shenyang
):
    meet_every_target(shenyang.city)
    first = _with_password(reviewer_named("wang.fang"))
    second = _with_password(reviewer_named("liu.yang"))
    runner = UserFactory(username="runner")
    from evaluation.services.people import role_grant

    role_grant(user=runner, role="reviewer", by=None)
    run = evaluation_run_request(programme=shenyang.programme, trigger="api", by=runner)
    run = evaluation_run_execute(run_id=run.pk)
    decision = TrancheDecision.objects.get(city_result__run=run)

    _admin_sign_in(page, live_server, "wang.fang")
    page.click(f"a[href='/admin/monitoring/{shenyang.programme.pk}/']")
    page.wait_for_selector("#monitoring")
    page.fill(f"#suspend-{shenyang.pk}", "目标与支出均落后")
    page.click("#city-210100 button[type=submit]")
    page.wait_for_selector(".messagelist")
    assert "已对 沈阳市 暂缓拨付" in page.inner_text(".messagelist")
    suspension = PaymentSuspension.objects.get()
    assert (suspension.suspended_by, suspension.reason) == (first, "目标与支出均落后")

    # The suspended city's release is refused sign-off, with the reason.
    from evaluation.exceptions import Locked

    with pytest.raises(Locked) as refused:
        decision_confirm(decision=decision, by=second)
    assert refused.value.errors[0].code == "decision_suspended"

    # The reviewer who suspended it may not lift it.
    page.fill(f"#lift-{suspension.pk}", "已改正")
    page.click("#city-210100 button[type=submit]")
    page.wait_for_selector(".messagelist")
    assert "另一名审核人员" in page.inner_text(".messagelist")

    other = browser.new_context(locale="zh-CN").new_page()
    _admin_sign_in(other, live_server, "liu.yang")
    other.goto(f"{live_server.url}/admin/monitoring/{shenyang.programme.pk}/")
    assert "目标与支出均落后" in other.inner_text("#city-210100")
    other.fill(f"#lift-{suspension.pk}", "支出已恢复")
    other.click("#city-210100 button[type=submit]")
    other.wait_for_selector(".messagelist")
    assert "已解除对 沈阳市 的暂缓拨付" in other.inner_text(".messagelist")

    suspension.refresh_from_db()
    assert (suspension.lifted_by, suspension.lift_reason) == (second, "支出已恢复")
    assert decision_confirm(decision=decision, by=second).status == "confirmed"
