"""The self-evaluation's pages: the city begins, explains and submits it (a refusal names the
indicator and changes its state in nothing); the province returns and forwards it on its own
pages; the PDF is a document in Chinese for the city, its province and the ministry only."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from evaluation.models import MetricValue, OfficialAssignment, Programme, SelfEvaluation
from evaluation.services import people
from tests.factories import ParticipationFactory, UserFactory, meet_every_target

pytestmark = pytest.mark.django_db
MIDTERM = dt.date(2021, 12, 31)


@pytest.fixture
def world(programme, reviewer):
    Programme.objects.filter(pk=programme.pk).update(provincial_review=True)
    hefei = ParticipationFactory(
        programme=programme, city__code="340100", city__name_en="Hefei", city__name_zh="合肥市"
    )
    meet_every_target(hefei.city)
    MetricValue.objects.filter(city=hefei.city, indicator__code="operation_centres").update(
        value=Decimal(1)
    )
    official = UserFactory(username="li.wei")
    OfficialAssignment.objects.create(user=official, participation=hefei)
    anhui = UserFactory(username="anhui.reviewer")
    people.province_bind(user=anhui, province="34")
    clients = {}
    for name, user in (("official", official), ("anhui", anhui), ("reviewer", reviewer)):
        clients[name] = Client()
        clients[name].force_login(user)
    return hefei, clients


def test_the_city_submits_the_province_returns_and_forwards(world):
    hefei, clients = world
    city = clients["official"]
    response = city.post(
        reverse("cities:self_evaluations", args=[hefei.pk]), {"as_of": MIDTERM.isoformat()}
    )
    item = SelfEvaluation.objects.get()
    assert response.status_code == 302
    page = reverse("cities:self_evaluation", args=[hefei.pk, item.pk])
    refused = city.post(page, {"action": "submit"})
    assert refused.status_code == 200
    assert "below its target" in refused.content.decode()
    assert SelfEvaluation.objects.get().status == "draft"

    city.post(
        page,
        {
            "action": "submit",
            "reason-operation_centres": "选址推迟",
            "measures-operation_centres": "年内建成",
        },
    )
    assert SelfEvaluation.objects.get().status == "submitted"

    province = clients["anhui"]
    home = province.get(reverse("cities:province"))
    assert "Hefei" in home.content.decode()
    review = reverse("cities:province_self_evaluation", args=[item.pk])
    assert "选址推迟" in province.get(review).content.decode()
    empty = province.post(review, {"action": "send_back", "text": ""})
    assert empty.status_code == 200 and SelfEvaluation.objects.get().status == "submitted"
    province.post(review, {"action": "send_back", "text": "原因过简"})
    assert SelfEvaluation.objects.get().status == "returned"
    assert "原因过简" in city.get(page).content.decode()
    city.post(
        page,
        {
            "action": "submit",
            "reason-operation_centres": "选址推迟，已落实新址",
            "measures-operation_centres": "年内建成",
        },
    )
    province.post(review, {"action": "forward", "text": "情况属实"})
    assert SelfEvaluation.objects.get().status == "forwarded"


def test_the_pdf_is_in_chinese_for_the_city_the_province_and_the_ministry_only(world, programme):
    hefei, clients = world
    clients["official"].post(
        reverse("cities:self_evaluations", args=[hefei.pk]), {"as_of": MIDTERM.isoformat()}
    )
    item = SelfEvaluation.objects.get()
    url = reverse("reports:self_evaluation_pdf", args=[item.pk])
    for name in ("official", "anhui", "reviewer"):
        response = clients[name].get(url)
        assert response.status_code == 200, name
        assert response.content.startswith(b"%PDF")
    yunnan = UserFactory(username="yunnan.reviewer")
    people.province_bind(user=yunnan, province="53")
    other = Client()
    other.force_login(yunnan)
    assert other.get(url).status_code == 404
    assert Client().get(url).status_code == 302


def test_the_province_reads_a_report_to_its_precision_and_the_ministry_reads_the_province(
    world, reviewer, django_assert_max_num_queries
):
    from evaluation.models import OfficialAssignment, Report
    from evaluation.scoring import Period
    from evaluation.services import reporting
    from tests.factories import complete

    hefei, clients = world
    official = OfficialAssignment.objects.get(participation=hefei).user
    report = reporting.report_create(participation=hefei, period=Period.parse("2022"), by=official)
    report = reporting.report_values_set(
        report=report,
        values=complete({"pledge_projects": "20", "pledge_amount": "120.5"}),
        version=report.version,
        by=official,
    )
    reporting.report_submit(report=report, version=None, by=official)
    page = reverse("cities:province_report", args=[report.pk])
    with django_assert_max_num_queries(30):
        shown = clients["anhui"].get(page).content.decode()
    assert re.search(r"<td>20 [^<0-9]+</td>", shown) and "<td>20.00 " not in shown
    assert re.search(r"<td>120.50 [^<]+</td>", shown)
    clients["anhui"].post(page, {"action": "send_back", "text": "项目数偏低，请核实"})
    reporting.report_submit(report=Report.objects.get(), version=None, by=official)
    clients["anhui"].post(page, {"action": "forward", "text": "情况属实，同意报部"})
    assert Report.objects.get().status == "forwarded"

    reviewer.is_staff = True
    reviewer.save()
    clients["reviewer"].force_login(reviewer)
    admin = clients["reviewer"].get(f"/admin/evaluation/report/{report.pk}/change/")
    said = admin.content.decode()
    assert 'class="province-review"' in said
    assert "项目数偏低，请核实" in said and "情况属实，同意报部" in said
    # Another province's reviewer and a visitor reach no report of Hefei.
    yunnan = UserFactory(username="yunnan.reviewer")
    people.province_bind(user=yunnan, province="53")
    other = Client()
    other.force_login(yunnan)
    assert other.get(page).status_code == 404
    assert Client().get(page).status_code == 302


def test_a_programme_without_the_provincial_review_shows_no_province_on_the_report(
    programme, reviewer
):
    from evaluation.scoring import Period
    from evaluation.services import reporting
    from tests.factories import complete

    hefei = ParticipationFactory(programme=programme, city__code="340100")
    official = UserFactory(username="li.wei")
    OfficialAssignment.objects.create(user=official, participation=hefei)
    report = reporting.report_create(participation=hefei, period=Period.parse("2022"), by=official)
    report = reporting.report_values_set(
        report=report, values=complete({}), version=report.version, by=official
    )
    reporting.report_submit(report=report, version=None, by=official)
    reviewer.is_staff = True
    reviewer.save()
    client = Client()
    client.force_login(reviewer)
    shown = client.get(f"/admin/evaluation/report/{report.pk}/change/").content.decode()
    assert "province-review" not in shown


def test_the_province_returns_one_value_on_its_report_page_the_city_fixes_it_and_it_forwards(
    world, reviewer, django_assert_max_num_queries
):
    from evaluation.models import OfficialAssignment, Report, ReportComment, ValueReturn
    from evaluation.scoring import Period
    from evaluation.services import reporting
    from tests.factories import complete

    hefei, clients = world
    official = OfficialAssignment.objects.get(participation=hefei).user
    report = reporting.report_create(participation=hefei, period=Period.parse("2022"), by=official)
    report = reporting.report_values_set(
        report=report,
        values=complete({"pledge_projects": "20", "pledge_amount": "120.5"}),
        version=report.version,
        by=official,
    )
    reporting.report_submit(report=report, version=None, by=official)
    page = reverse("cities:province_report", args=[report.pk])
    province = clients["anhui"]
    with django_assert_max_num_queries(30):
        shown = province.get(page).content.decode()
    assert 'id="return-values"' in shown and 'name="reason-pledge_projects"' in shown

    # No reason: nothing goes back, and the page says why.
    empty = province.post(page, {"action": "send_back_values", "comment": "请核对"})
    assert empty.status_code == 200 and Report.objects.get().status == "submitted"
    assert "请核对" in empty.content.decode()  # what was typed stays
    assert '<p class="error">' in empty.content.decode()
    assert not ValueReturn.objects.exists()

    done = province.post(
        page,
        {
            "action": "send_back_values",
            "reason-pledge_projects": "项目数与登记系统不符",
            "comment": "请核对后再报",
        },
        follow=True,
    )
    assert done.redirect_chain[-1][0] == reverse("cities:province")
    assert Report.objects.get().status == "returned"
    (returned,) = ValueReturn.objects.all()
    assert returned.value.indicator.code == "pledge_projects"
    (said,) = ReportComment.objects.all()
    assert said.text == "请核对后再报\n知识产权质押融资项目数：项目数与登记系统不符"

    # The city sees the reason on its period page, replies and fixes the one value.
    city = clients["official"]
    period_page = f"/city/{hefei.pk}/periods/2022/"
    seen = city.get(period_page, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "项目数与登记系统不符" in seen
    # The city is told whose comment it is: the province's, not the ministry's.
    assert "<strong>省级复核意见:</strong>" in seen and "<strong>审核意见:" not in seen
    city.post(period_page, {"action": "answer", "answer": "已更正"})
    report = Report.objects.get()
    reporting.report_values_set(
        report=report, values={"pledge_projects": "22"}, version=report.version, by=official
    )
    reporting.report_submit(report=Report.objects.get(), version=None, by=official)
    assert [c.kind for c in ReportComment.objects.order_by("pk")] == ["return", "reply"]
    province.post(page, {"action": "forward", "text": "已更正，同意报部"})
    assert Report.objects.get().status == "forwarded"
    # Once forwarded, the province has nothing left to return.
    assert 'id="return-values"' not in province.get(page).content.decode()


def test_the_provinces_value_return_is_closed_to_everyone_else(world, reviewer):
    from evaluation.models import OfficialAssignment, Report, ValueReturn
    from evaluation.scoring import Period
    from evaluation.services import reporting
    from tests.factories import complete

    hefei, clients = world
    official = OfficialAssignment.objects.get(participation=hefei).user
    report = reporting.report_create(participation=hefei, period=Period.parse("2022"), by=official)
    report = reporting.report_values_set(
        report=report,
        values=complete({"pledge_projects": "20"}),
        version=report.version,
        by=official,
    )
    reporting.report_submit(report=report, version=None, by=official)
    page = reverse("cities:province_report", args=[report.pk])
    posted = {"action": "send_back_values", "reason-pledge_projects": "不符"}
    yunnan = UserFactory(username="yunnan.reviewer")
    people.province_bind(user=yunnan, province="53")
    other = Client()
    other.force_login(yunnan)
    reviewer.is_staff = True
    reviewer.save()
    clients["reviewer"].force_login(reviewer)
    for name, client in (
        ("another province", other),
        ("the city's official", clients["official"]),
        ("the ministry", clients["reviewer"]),
    ):
        assert client.get(page).status_code == 404, name
        assert client.post(page, posted).status_code == 404, name
    signed_out = Client().post(page, posted)
    assert signed_out.status_code == 302 and reverse("cities:login") in signed_out["Location"]
    assert Report.objects.get().status == "submitted" and not ValueReturn.objects.exists()


def test_the_province_reads_the_citys_files_and_replies_and_nobody_else_downloads_them(
    world, reviewer, django_assert_max_num_queries
):
    """The province reviews a report with what the city sent: each value's files beside it (a
    download only its reviewers get) and the conversation."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from evaluation.models import OfficialAssignment, Report
    from evaluation.scoring import Period
    from evaluation.services import reporting
    from evaluation.services.evidence import evidence_attach
    from tests.factories import complete

    hefei, clients = world
    official = OfficialAssignment.objects.get(participation=hefei).user
    report = reporting.report_create(participation=hefei, period=Period.parse("2022"), by=official)
    report = reporting.report_values_set(
        report=report,
        values=complete({"pledge_projects": "20"}),
        version=report.version,
        by=official,
    )
    contract = evidence_attach(
        report=report,
        indicator="pledge_projects",
        upload=SimpleUploadedFile("质押合同.pdf", b"%PDF-1.4 contract"),
        by=official,
    )
    whole = evidence_attach(
        report=report,
        indicator=None,
        upload=SimpleUploadedFile("说明.pdf", b"%PDF-1.4 note"),
        by=official,
    )
    reporting.report_submit(report=report, version=None, by=official)
    page = reverse("cities:province_report", args=[report.pk])
    clients["anhui"].post(page, {"action": "send_back", "text": "项目数偏低，请核实"})
    reporting.report_comment_add(
        report=Report.objects.get(), text="已核对登记系统，数字无误", by=official
    )
    reporting.report_submit(report=Report.objects.get(), version=None, by=official)

    with django_assert_max_num_queries(32):
        shown = clients["anhui"].get(page).content.decode()
    download = reverse("cities:province_evidence", args=[report.pk, contract.pk])
    assert f'href="{download}"' in shown and "质押合同.pdf" in shown
    assert "说明.pdf" in shown and 'id="report-files"' in shown
    assert "项目数偏低，请核实" in shown and "已核对登记系统，数字无误" in shown
    got = clients["anhui"].get(download)
    assert got.status_code == 200 and b"".join(got.streaming_content) == b"%PDF-1.4 contract"

    yunnan = UserFactory(username="yunnan.reviewer")
    people.province_bind(user=yunnan, province="53")
    other = Client()
    other.force_login(yunnan)
    for name, client in (("another province", other), ("the city's official", clients["official"])):
        assert client.get(download).status_code == 404, name
    signed_out = Client().get(download)
    assert signed_out.status_code == 302 and reverse("cities:login") in signed_out["Location"]
    # A file of another report is not reached through this report's address.
    elsewhere = reverse("cities:province_evidence", args=[report.pk + 1, whole.pk])
    assert clients["anhui"].get(elsewhere).status_code == 404
