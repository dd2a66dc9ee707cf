"""The reviewers' admin in Chinese when nothing else is asked for, in English on request:
headings, filters, actions, field labels, messages, dates, city names, and the switch."""

from __future__ import annotations

import pytest
from django.test import Client

from evaluation.models import Report
from tests.admin.conftest import logged_in, page, shown_messages, submitted_report

pytestmark = [pytest.mark.django_db, pytest.mark.chinese]

QUEUE = "/admin/evaluation/report/"


@pytest.fixture
def march(city_a, official) -> Report:
    return submitted_report(city_a, official, "2021-03", {"transfer_licence_count": "1000"})


def test_the_review_queue_speaks_chinese_by_default(reviewer, march):
    text = page(logged_in(reviewer).get(QUEUE))

    assert "知识产权运营服务体系建设重点城市绩效评价" in text
    assert "数据质量标记" in text  # a list filter
    assert "审核通过所选报表" in text  # an action
    assert "将所选报表退回城市（须填写意见）" in text
    assert "已提交，待审核" in text  # the report's status
    assert f"440300 {march.participation.city.name_zh}" in text
    for english in ("Approve selected reports", "data-quality flag", "Shenzhen"):
        assert english not in text


def test_a_report_shows_chinese_labels_and_dates(reviewer, march):
    text = page(logged_in(reviewer).get(f"{QUEUE}{march.pk}/change/"))

    assert "审核意见" in text  # a field label
    assert "上年同期" in text  # the values table
    assert "2021年4月15日" in text  # the due date, in the Chinese format
    assert "April 15, 2021" not in text


def test_the_same_report_in_english_when_the_browser_asks(reviewer, march):
    client = Client(headers={"accept-language": "en-US,en;q=0.8"})
    client.force_login(reviewer)

    text = page(client.get(f"{QUEUE}{march.pk}/change/"))

    assert "Review comment" in text
    assert "April 15, 2021" in text
    assert "Shenzhen" in text
    assert "审核意见" not in text


def test_an_actions_message_is_chinese_and_keeps_its_numbers(reviewer, march):
    response = logged_in(reviewer).post(
        QUEUE, {"action": "approve", "_selected_action": [march.pk]}, follow=True
    )

    assert shown_messages(response) == ["已通过：1 / 1。"]
    march.refresh_from_db()
    assert march.status == Report.Status.APPROVED


def test_a_refusal_message_is_chinese(reviewer, march):
    """Reopening a report that is not approved is refused by the service, in Chinese."""
    response = logged_in(reviewer).post(
        QUEUE,
        {"action": "reopen", "_selected_action": [march.pk], "apply": "1", "text": "再核对"},
        follow=True,
    )

    [message] = shown_messages(response)
    city, reason = message.split("：", 1)
    assert city == "440300 2021-03 (已提交，待审核)"
    assert reason and not any(c.isascii() and c.isalpha() for c in reason), message


def test_every_admin_page_offers_the_language_switch_even_signed_out(reviewer, march):
    for client, url in ((Client(), "/admin/login/"), (logged_in(reviewer), QUEUE)):
        body = client.get(url).content.decode()
        assert 'action="/i18n/setlang/"' in body
        assert "简体中文" in body and "English" in body


def test_switching_to_english_in_the_admin_keeps_the_page(reviewer, march):
    client = logged_in(reviewer)

    switched = client.post("/i18n/setlang/", {"language": "en", "next": QUEUE}, follow=True)

    assert switched.redirect_chain[-1][0] == QUEUE
    assert "Approve selected reports" in page(switched)


def test_a_city_official_and_a_visitor_get_the_chinese_sign_in_page_and_no_report(official, march):
    for client in (logged_in(official), Client()):
        response = client.get(f"{QUEUE}{march.pk}/change/", follow=True)
        text = page(response)
        assert response.redirect_chain[-1][0].startswith("/admin/login/")
        assert "用户名" in text
        assert march.participation.city.name_zh not in text
