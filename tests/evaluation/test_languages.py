"""Emails and commands, which have no browser to ask, speak the product's language: Chinese
unless LANGUAGE_CODE says otherwise."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import CommandError, call_command

from evaluation.models import OfficialAssignment
from evaluation.scoring import Period
from evaluation.services import reporting
from evaluation.services.reminders import reminders_send
from tests.factories import ParticipationFactory, UserFactory, add_value, complete

pytestmark = [pytest.mark.django_db, pytest.mark.chinese]


@pytest.fixture
def shenzhen(programme):
    return ParticipationFactory(
        programme=programme, city__code="440300", city__name_en="Shenzhen", city__name_zh="深圳"
    )


def test_a_reminder_is_written_in_chinese_with_its_dates_exact(shenzhen):
    official = UserFactory(username="li", email="li@example.org")
    OfficialAssignment.objects.create(user=official, participation=shenzhen)

    assert reminders_send(today=dt.date(2021, 6, 12)) == 1

    [email] = mail.outbox
    assert email.subject == "[2020] 深圳：2021-05 的报表将于 2021-06-15 截止"
    assert email.body.startswith("440300 深圳 2021-05 的报表将于 2021-06-15 截止，目前尚未提交。")
    assert "Shenzhen" not in email.subject + email.body


def test_a_reminder_follows_the_configured_language(shenzhen, settings):
    settings.LANGUAGE_CODE = "en"
    official = UserFactory(username="li", email="li@example.org")
    OfficialAssignment.objects.create(user=official, participation=shenzhen)

    reminders_send(today=dt.date(2021, 6, 16))

    assert mail.outbox[0].subject == "[2020] Shenzhen: report for 2021-05 was due on 2021-06-15"


def test_the_reviewers_notice_of_a_submitted_report_is_chinese(
    shenzhen, django_capture_on_commit_callbacks
):
    UserFactory(username="wang", email="wang@example.org").groups.add(
        Group.objects.get(name="reviewers")
    )
    official = UserFactory(username="li")
    OfficialAssignment.objects.create(user=official, participation=shenzhen)
    report = reporting.report_create(
        participation=shenzhen, period=Period.parse("2021-03"), by=official
    )
    report = reporting.report_values_set(
        report=report,
        values=complete({"pledge_amount": "12.50"}),
        version=report.version,
        by=official,
    )

    with django_capture_on_commit_callbacks(execute=True):
        reporting.report_submit(report=report, version=report.version, by=official)

    [email] = mail.outbox
    assert email.subject == "[2020] 440300 深圳 提交了 2021-03 的报表"
    assert "审核队列" in email.body


def test_a_command_refuses_in_chinese():
    with pytest.raises(CommandError) as refused:
        call_command("evaluate", programme="1999", stdout=io.StringIO())

    assert str(refused.value) == "未知批次 '1999'"


def test_a_refused_file_is_reported_in_chinese_line_by_line(tmp_path, shenzhen):
    add_value(shenzhen.city, "pledge_amount", "2019", "10")
    path = tmp_path / "metrics.csv"
    path.write_text(
        "city_code,period,indicator,value\n440300,2021-03,pledge_amount,-3\n", encoding="utf-8"
    )

    with pytest.raises(CommandError) as refused:
        call_command("import_metrics", str(path), stdout=io.StringIO())

    assert str(refused.value) == (
        "metrics.csv：文件被拒绝，未保存任何数据。共 1 处错误：\n"
        "  第 2 行，value 列：-3 是负数；填报值不能为负数"
    )
