"""The officials' side, finished: their result and its scorecard reached from the portal and
leading back to it, the reports returned to them on the landing page, their answer to a
reviewer's comment, a refused form's summary, and the site's 404 and 403 pages."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.test import APIClient

from evaluation.models import EvaluationRun, Report, ReportComment, TrancheDecision
from evaluation.schedules import schedules_install
from evaluation.scoring import Period
from evaluation.services import reporting
from evaluation.services.decisions import decision_confirm
from evaluation.services.runs import evaluation_run_request
from tests.cities.conftest import browser
from tests.factories import UserFactory, add_value, complete

pytestmark = pytest.mark.django_db


def text(response) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def run_of(programme, reviewer, capture, kind=EvaluationRun.Kind.OFFICIAL) -> EvaluationRun:
    with capture(execute=True):
        queued = evaluation_run_request(
            programme=programme, kind=kind, trigger=EvaluationRun.Trigger.API, by=reviewer
        )
    run = EvaluationRun.objects.get(pk=queued.pk)
    assert run.status == "succeeded", run.error
    return run


def finalise(run) -> None:
    signer = UserFactory(username="zhao.min", first_name="敏", last_name="赵")
    signer.groups.add(Group.objects.get(name="reviewers"))
    for decision in TrancheDecision.objects.filter(city_result__run=run):
        decision_confirm(decision=decision, by=signer)


# Their result -------------------------------------------------------------------------------


def test_an_official_finds_the_finalised_result_its_scorecard_and_the_way_back(
    portal_a, city_a, city_b, reviewer, django_capture_on_commit_callbacks
):
    add_value(city_a.city, "sme_transformations", "2020", "30")
    run = run_of(city_a.programme, reviewer, django_capture_on_commit_callbacks)
    scorecard = f"/reports/runs/{run.pk}/cities/210100/"
    # Awaiting sign-off: neither the landing page nor the results page shows it.
    assert scorecard not in portal_a.get(f"/city/{city_a.pk}/").content.decode()
    assert portal_a.get(f"/city/{city_a.pk}/results/").context["rows"] == []
    assert portal_a.get(scorecard).status_code == 404

    finalise(run)
    landing = portal_a.get(f"/city/{city_a.pk}/")
    page = landing.content.decode()
    assert f'href="{scorecard}"' in page and f'href="{scorecard}scorecard.pdf"' in page
    assert f'href="/city/{city_a.pk}/results/"' in page
    results = portal_a.get(f"/city/{city_a.pk}/results/")
    [row] = results.context["rows"]
    assert (row.run_id, row.official) == (run.pk, True)
    assert "正式评价，已定稿" in text(results)

    card = portal_a.get(scorecard)
    assert card.status_code == 200
    html = card.content.decode()
    assert f'href="/city/{city_a.pk}/"' in html and "返回门户" in html
    assert 'href="/admin/"' not in html
    pdf = portal_a.get(f"{scorecard}scorecard.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_the_results_page_is_the_officials_own(
    portal_b, anonymous, city_a, city_b, reviewer, django_capture_on_commit_callbacks
):
    run_of(
        city_a.programme,
        reviewer,
        django_capture_on_commit_callbacks,
        kind=EvaluationRun.Kind.PROVISIONAL,
    )
    assert portal_b.get(f"/city/{city_a.pk}/results/").status_code == 404
    own = portal_b.get(f"/city/{city_b.pk}/results/")
    assert own.status_code == 200 and [r.city_code for r in own.context["rows"]] == ["650100"]
    assert "沈阳" not in own.content.decode()
    visitor = anonymous.get(f"/city/{city_a.pk}/results/")
    assert visitor.status_code == 302 and visitor.url.startswith("/?next=")


def test_without_a_result_the_page_says_when_the_next_provisional_run_is(portal_a, city_a):
    unscheduled = text(portal_a.get(f"/city/{city_a.pk}/"))
    assert "本服务器也未安排试算评价" in unscheduled

    schedules_install()
    scheduled = text(portal_a.get(f"/city/{city_a.pk}/?again"))
    tomorrow_or_today = timezone.localtime() + timezone.timedelta(hours=24)
    assert "下一次试算评价将于" in scheduled and "02:00" in scheduled
    assert f"{tomorrow_or_today.year}年" in scheduled


# Returned reports and the official's answer ---------------------------------------------------


def returned(official, participation, reviewer, period="2021-03") -> Report:
    report = reporting.report_create(
        participation=participation, period=Period.parse(period), by=official
    )
    report = reporting.report_values_set(
        report=report, values=complete({}), version=report.version, by=official
    )
    report = reporting.report_submit(report=report, version=None, by=official)
    return reporting.report_return(report=report, comment="三月的数字偏低，请核对", by=reviewer)


def test_the_landing_page_says_when_a_report_was_returned(portal_a, official_a, city_a, reviewer):
    report = returned(official_a, city_a, reviewer)

    page = portal_a.get(f"/city/{city_a.pk}/")

    shown = text(page)
    assert "有 1 份报表被退回" in shown and "三月的数字偏低，请核对" in shown
    day = timezone.localtime(report.reviewed_at)
    assert f"{day.year}年{day.month}月{day.day}日 退回" in shown
    assert f'href="/city/{city_a.pk}/periods/2021-03/"' in page.content.decode()


def test_an_official_answers_the_reviewer_and_the_reviewers_read_it(
    portal_a, official_a, city_a, reviewer
):
    report = returned(official_a, city_a, reviewer)
    url = f"/city/{city_a.pk}/periods/2021-03/"
    assert "答复审核人员" in portal_a.get(url).content.decode()

    sent = portal_a.post(url, {"action": "answer", "answer": "三月有两笔质押延至四月登记。"})

    assert sent.status_code == 302 and sent["Location"] == f"{url}#answers"
    answer = ReportComment.objects.get(kind="reply")
    assert (answer.report, answer.author) == (report, official_a)
    assert "三月有两笔质押延至四月登记。" in portal_a.get(url).content.decode()
    history = portal_a.get(f"/city/{city_a.pk}/history/?period=2021-03")
    assert "我方答复" in text(history) and "三月有两笔质押延至四月登记。" in text(history)
    # The reviewers read it in the report's history (the audit) and on its admin page.
    api = APIClient()
    api.force_authenticate(reviewer)
    entries = api.get(f"/api/v1/audit/report/{report.pk}/").json()["entries"]
    said = [e for e in entries if e["object"] == "comment"]
    assert said[-1]["by"] == "li.wei" and said[-1]["changes"][0]["new"] == answer.text
    reviewer.is_staff = True
    reviewer.save()
    admin = browser(reviewer).get(f"/admin/evaluation/report/{report.pk}/change/")
    assert "三月有两笔质押延至四月登记。" in admin.content.decode()


def test_an_empty_answer_or_one_to_nothing_is_refused_and_nothing_is_kept(
    portal_a, official_a, city_a, reviewer
):
    returned(official_a, city_a, reviewer)
    url = f"/city/{city_a.pk}/periods/2021-03/"
    empty = portal_a.post(url, {"action": "answer", "answer": "  "}, follow=True)
    assert "请填写对审核人员的答复" in text(empty)
    reporting.report_create(participation=city_a, period=Period.parse("2021-04"), by=official_a)
    nothing = portal_a.post(
        f"/city/{city_a.pk}/periods/2021-04/", {"action": "answer", "answer": "好的"}, follow=True
    )
    assert "审核人员未对该报表留下意见" in text(nothing)
    assert not ReportComment.objects.filter(kind="reply").exists()


def test_another_citys_official_cannot_answer_for_city_a(portal_b, official_a, city_a, reviewer):
    returned(official_a, city_a, reviewer)
    response = portal_b.post(
        f"/city/{city_a.pk}/periods/2021-03/", {"action": "answer", "answer": "冒充"}
    )
    assert response.status_code == 404 and not ReportComment.objects.filter(kind="reply").exists()


# A refused form --------------------------------------------------------------------------------


def test_a_refused_submit_summarises_the_errors_at_the_top_and_focuses_the_first(portal_a, city_a):
    values = complete({"pledge_projects": "abc"})
    del values["pledge_amount"]

    refused = portal_a.post(f"/city/{city_a.pk}/periods/2021-03/", {"action": "submit", **values})

    assert refused.status_code == 400
    page = refused.content.decode()
    summary = refused.context["summary"]
    assert [item["field"] for item in summary] == ["id_pledge_projects"]
    assert page.index('id="error-summary"') < page.index("<table")
    assert "未保存任何数据：有 1 处需要更正" in text(refused)
    assert '<a href="#id_pledge_projects">知识产权质押融资项目数</a>' in page
    assert 'querySelector("input.invalid")' in page
    assert not Report.objects.exists()

    # Every value well formed but one missing: the service's refusal, summarised the same way.
    incomplete = complete({})
    del incomplete["pledge_amount"]
    refused = portal_a.post(
        f"/city/{city_a.pk}/periods/2021-03/", {"action": "submit", **incomplete}
    )
    assert [item["field"] for item in refused.context["summary"]] == ["id_pledge_amount"]
    assert "提交前须填写数值" in text(refused)
    assert not Report.objects.exists()  # a refused request changes nothing


# The site's 404 and 403 pages ----------------------------------------------------------------


@pytest.mark.chinese
def test_a_page_that_does_not_exist_is_in_the_portals_look_with_a_way_home(official_a, anonymous):
    signed_in = browser(official_a).get("/no-such-page/")
    assert signed_in.status_code == 404
    page = signed_in.content.decode()
    assert '<html lang="zh-hans">' in page and "/static/cities/portal.css" in page
    assert "页面不存在" in page and 'href="/city/"' in page

    visitor = anonymous.get("/city/999/periods/2021-03/check/")
    assert visitor.status_code in (302, 404, 405)
    lost = anonymous.get("/nothing/here/")
    assert lost.status_code == 404 and 'href="/"' in lost.content.decode()
    english = browser(language="en").get("/nothing/here/")
    assert "Page not found" in english.content.decode() and "Sign in" in english.content.decode()


def test_the_apis_404_stays_json(official_a):
    response = APIClient().get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


@pytest.mark.chinese
def test_a_reviewers_page_refused_to_an_official_says_why_with_a_way_home(
    official_a, city_a, programme
):
    refused = browser(official_a).get(f"/reports/programmes/{programme.pk}/dashboard/")
    assert refused.status_code == 403
    page = refused.content.decode()
    assert "无权访问" in page and "/static/cities/portal.css" in page
    assert 'href="/city/"' in page and "总览" in page  # why: only reviewers see the dashboard


def test_a_report_with_no_figure_of_its_own_is_not_offered_for_submission(
    portal_a, official_a, city_a
):
    for code in complete({}):
        add_value(city_a.city, code, "2021-05", "1")  # an audited file approved the period
    reporting.report_create(participation=city_a, period=Period.parse("2021-05"), by=official_a)

    offer = portal_a.get(f"/city/{city_a.pk}/submit/")

    [row] = offer.context["rows"]
    assert (row.period, row.missing, row.empty, row.complete) == ("2021-05", [], True, False)
    assert 'type="checkbox"' not in offer.content.decode()
    assert "该期间的数据已审核通过" in text(offer)


def test_the_results_page_reads_a_fixed_number_of_queries(
    portal_a, city_a, reviewer, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"/city/{city_a.pk}/results/"
    provisional = EvaluationRun.Kind.PROVISIONAL
    run_of(city_a.programme, reviewer, django_capture_on_commit_callbacks, kind=provisional)
    portal_a.get(url)
    with CaptureQueriesContext(connection) as one:
        portal_a.get(url)
    for _ in range(3):
        run_of(city_a.programme, reviewer, django_capture_on_commit_callbacks, kind=provisional)
    with CaptureQueriesContext(connection) as four:
        page = portal_a.get(url)
    assert len(page.context["rows"]) == 4
    assert len(four) == len(one)
