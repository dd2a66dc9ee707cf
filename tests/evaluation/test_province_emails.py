"""Who is told of the province's review (省级复核) of a report, by email after the change
commits (through the outbox), once per version: where the province reviews first, its own
reviewers when a city of theirs submits (not the ministry, which cannot act yet); the ministry's
reviewers when the province forwards, with its opinion and who wrote it; the city's officials
when the province sends the report back, with its reason, each in their language, as for the
ministry's return."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from evaluation.models import OfficialAssignment, OfficialProfile, ReviewNotice
from evaluation.scoring import Period
from evaluation.services import people, reporting
from evaluation.services.notices import officials_notify
from evaluation.services.reporting import reviewers_notify
from tests.factories import ParticipationFactory, UserFactory, complete
from tests.self_evaluations import provincial

pytestmark = pytest.mark.django_db


@pytest.fixture
def hefei(programme):
    provincial(programme)
    return ParticipationFactory(
        programme=programme, city__code="340100", city__name_en="Hefei", city__name_zh="合肥市"
    )


@pytest.fixture
def official(hefei):
    user = UserFactory(username="li.wei", email="li.wei@hefei.example")
    OfficialAssignment.objects.create(user=user, participation=hefei)
    return user


@pytest.fixture
def ministry(db):
    user = UserFactory(username="wang", email="wang@ministry.example")
    user.groups.add(Group.objects.get(name="reviewers"))
    return user


@pytest.fixture
def anhui(db):
    user = UserFactory(
        username="anhui.reviewer", email="review@anhui.example", first_name="Zhou", last_name="Min"
    )
    people.province_bind(user=user, province="34")
    return user


@pytest.fixture
def yunnan(db):
    user = UserFactory(username="yunnan.reviewer", email="review@yunnan.example")
    people.province_bind(user=user, province="53")
    return user


def submit(participation, official):
    report = reporting.report_create(
        participation=participation, period=Period.parse("2021-03"), by=official
    )
    report = reporting.report_values_set(
        report=report,
        values=complete({"pledge_projects": "3"}),
        version=report.version,
        by=official,
    )
    return reporting.report_submit(report=report, version=None, by=official)


def test_a_submission_tells_the_citys_province_not_the_ministry(
    hefei, official, ministry, anhui, yunnan, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = submit(hefei, official)
    assert [m.to for m in mail.outbox] == [["review@anhui.example"]]
    assert "awaits the province's review" in mail.outbox[0].body
    assert f"/province/reports/{report.pk}/" in mail.outbox[0].body


def test_the_forward_tells_the_ministry_with_the_provinces_opinion_once(
    hefei, official, ministry, anhui, django_capture_on_commit_callbacks
):
    report = submit(hefei, official)
    with django_capture_on_commit_callbacks(execute=True):
        report = reporting.report_forward(report=report, opinion="数据已核实，同意报送", by=anhui)
    [sent] = mail.outbox
    assert sent.to == ["wang@ministry.example"]
    assert "forwarded" in sent.subject and "Hefei" in sent.subject
    assert "数据已核实，同意报送" in sent.body and "Zhou Min" in sent.body
    # A redelivered task sends nothing more.
    assert reviewers_notify(report_id=report.pk, version=report.version) is False
    assert len(mail.outbox) == 1
    assert ReviewNotice.objects.filter(report=report, version=report.version).count() == 1


def test_the_send_back_tells_the_citys_officials_the_provinces_reason(
    hefei, official, ministry, anhui, django_capture_on_commit_callbacks
):
    report = submit(hefei, official)
    with django_capture_on_commit_callbacks(execute=True):
        report = reporting.report_send_back(report=report, comment="三月数据有误", by=anhui)
    [sent] = mail.outbox
    assert sent.to == ["li.wei@hefei.example"]
    assert "province returned" in sent.subject
    assert "三月数据有误" in sent.body and "ministry" not in sent.body
    assert officials_notify(report_id=report.pk, version=report.version, kind="returned") == 0


def test_the_ministrys_return_still_says_the_ministry(
    programme, hefei, official, ministry, anhui, django_capture_on_commit_callbacks
):
    report = submit(hefei, official)
    report = reporting.report_forward(report=report, opinion="同意报送", by=anhui)
    with django_capture_on_commit_callbacks(execute=True):
        reporting.report_return(report=report, comment="请补充凭证", by=ministry)
    [sent] = mail.outbox
    assert "The ministry's reviewer returned" in sent.body and "请补充凭证" in sent.body


@pytest.mark.chinese
def test_the_officials_read_it_in_chinese_unless_they_chose_english(
    hefei, official, anhui, django_capture_on_commit_callbacks
):
    colleague = UserFactory(username="zhang", email="zhang@hefei.example")
    OfficialAssignment.objects.create(user=colleague, participation=hefei)
    OfficialProfile.objects.create(user=colleague, language="en")
    report = submit(hefei, official)
    with django_capture_on_commit_callbacks(execute=True):
        reporting.report_send_back(report=report, comment="三月数据有误", by=anhui)
    by_reader = {m.to[0]: m for m in mail.outbox}
    chinese = by_reader["li.wei@hefei.example"]
    english = by_reader["zhang@hefei.example"]
    assert "省" in chinese.subject and "退回" in chinese.subject
    assert "三月数据有误" in chinese.body and "returned" not in chinese.body
    assert "province returned" in english.subject and "三月数据有误" in english.body
