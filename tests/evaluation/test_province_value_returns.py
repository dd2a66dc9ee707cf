"""The province returns single values of a report awaiting it (省级复核): the ministry's
single-value return, taken by a reviewer of the city's province (``send_back_values`` in the
workflow table). One value goes back with a reason and a comment, the official replies and
fixes only it, and the province forwards the report to the ministry."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from evaluation.exceptions import Forbidden, Locked, NotFound, WorkflowError
from evaluation.models import (
    MetricValue,
    Programme,
    ProvincialOpinion,
    Report,
    ReportComment,
    ValueReturn,
)
from evaluation.reasons import reason_code
from evaluation.scoring import Period
from evaluation.services import people, reporting
from tests.api.test_refusals_change_nothing import changed_tables, database_state
from tests.factories import ParticipationFactory, UserFactory, complete

pytestmark = pytest.mark.django_db
MARCH = Period.parse("2021-03")


@pytest.fixture
def hefei(programme):
    Programme.objects.filter(pk=programme.pk).update(provincial_review=True)
    programme.refresh_from_db()
    return ParticipationFactory(programme=programme, city__code="340100")


@pytest.fixture
def official(hefei):
    user = UserFactory(username="li.wei", email="li.wei@hefei.example.cn")
    hefei.officials.create(user=user)
    return user


@pytest.fixture
def province(hefei):
    user = UserFactory(username="anhui.reviewer")
    people.province_bind(user=user, province="34")
    return user


@pytest.fixture
def ministry(db):
    user = UserFactory(username="wang.fang")
    user.groups.add(Group.objects.get(name="reviewers"))
    return user


def submitted(hefei, official) -> Report:
    report = reporting.report_create(participation=hefei, period=MARCH, by=official)
    report = reporting.report_values_set(
        report=report,
        values=complete({"pledge_projects": "7", "pledge_amount": "120"}),
        version=report.version,
        by=official,
    )
    return reporting.report_submit(report=report, version=None, by=official)


def send_back_values(report: Report, by, reasons=None, comment: str = "") -> Report:
    return reporting.report_return_values(
        report=report,
        reasons=reasons if reasons is not None else {"pledge_projects": "项目数与登记系统不符"},
        comment=comment,
        by=by,
        step="send_back_values",
    )


def test_the_province_returns_one_value_the_official_fixes_it_and_the_province_forwards(
    hefei, official, province, django_capture_on_commit_callbacks
):
    report = submitted(hefei, official)
    with django_capture_on_commit_callbacks(execute=True):
        report = send_back_values(report, province, comment="请核对后再报")
    assert report.status == "returned"
    (returned,) = ValueReturn.objects.filter(report=report)
    assert (returned.value.indicator.code, returned.reason) == (
        "pledge_projects",
        "项目数与登记系统不符",
    )
    assert returned.returned_by == province

    # The conversation, the email and the province's opinion say it in Chinese, by name.
    said = "请核对后再报\n知识产权质押融资项目数：项目数与登记系统不符"
    (comment,) = ReportComment.objects.filter(report=report)
    assert (comment.kind, comment.author, comment.text) == ("return", province, said)
    (email,) = mail.outbox
    assert email.to == [official.email]
    assert "知识产权质押融资项目数" in email.body and "pledge_projects" not in email.body
    # The email says the province returned it, not the ministry.
    assert "province returned" in email.subject or "省" in email.subject
    (opinion,) = ProvincialOpinion.objects.filter(report=report)
    assert (opinion.step, opinion.text, opinion.by) == ("send_back", said, province)
    assert reason_code(report.history.first().history_change_reason) == (
        "province_returned_values",
        {"codes": "pledge_projects"},
    )

    # The official may change only the returned value.
    before = database_state()
    with pytest.raises(Locked) as refused:
        reporting.report_values_set(
            report=report, values={"pledge_amount": "999"}, version=report.version, by=official
        )
    assert refused.value.errors[0].code == "value_not_returned"
    assert changed_tables(before, database_state()) == []
    reporting.report_comment_add(report=report, text="已按登记系统更正为 9 项", by=official)
    report = reporting.report_values_set(
        report=report, values={"pledge_projects": "9"}, version=report.version, by=official
    )
    report = reporting.report_submit(report=report, version=None, by=official)
    assert report.status == "submitted"
    assert not report.value_returns.filter(resubmitted_at__isnull=True).exists()

    report = reporting.report_forward(report=report, opinion="已更正，同意报部", by=province)
    assert report.status == "forwarded"
    assert MetricValue.objects.get(indicator__code="pledge_projects").value == Decimal("9")
    assert MetricValue.objects.get(indicator__code="pledge_amount").value == Decimal("120")
    assert list(ProvincialOpinion.objects.filter(report=report).values_list("step", flat=True)) == [
        "send_back",
        "forward",
    ]


def test_only_the_citys_province_returns_values_and_only_before_it_forwards(
    hefei, official, province, ministry
):
    report = submitted(hefei, official)
    yunnan = UserFactory(username="yunnan.reviewer")
    people.province_bind(user=yunnan, province="53")
    before = database_state()
    for person, refusal in (
        (yunnan, NotFound),  # another province's city does not exist to it
        (official, (NotFound, Forbidden)),
        (ministry, Forbidden),  # the ministry's own step is ``return_values``
    ):
        with pytest.raises(refusal):
            send_back_values(report, person)
    # The ministry's step waits until the province has forwarded the report.
    with pytest.raises(Locked) as early:
        reporting.report_return_values(report=report, reasons={"pledge_projects": "x"}, by=ministry)
    assert early.value.errors[0].code == "report_return_values_before_province"
    assert changed_tables(before, database_state()) == []

    forwarded = reporting.report_forward(report=report, opinion="同意", by=province)
    with pytest.raises(WorkflowError) as late:
        send_back_values(forwarded, province)
    assert late.value.errors[0].code == "report_send_back_values_not_from_forwarded"


def test_a_province_value_return_without_a_reason_or_an_unknown_value_changes_nothing(
    hefei, official, province
):
    report = submitted(hefei, official)
    before = database_state()
    for reasons, code in (
        ({"pledge_projects": "  "}, "reason_required"),
        ({"no_such": "x"}, "unknown_value"),
        ({}, "reason_required"),
    ):
        with pytest.raises(WorkflowError) as refused:
            send_back_values(report, province, reasons=reasons)
        assert refused.value.errors[0].code == code
    # A comment longer than a review's is refused (the conversation could not hold it).
    with pytest.raises(WorkflowError) as too_long:
        send_back_values(report, province, comment="长" * 5001)
    assert [(e.field, e.code) for e in too_long.value.errors] == [("comment", "text_too_long")]
    with pytest.raises(ValueError):
        reporting.report_return_values(
            report=report, reasons={"pledge_projects": "x"}, by=province, step="send_back"
        )
    assert changed_tables(before, database_state()) == []
