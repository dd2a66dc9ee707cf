"""A city's scorecard: the page and the A4 PDF, in Chinese and English, every figure the
stored run's; reviewers see every city, a city's officials their own city's scorecard of
provisional runs and of official runs once finalised, and nobody else anything."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from evaluation.models import CityResult, Indicator
from reports import figures, wording
from reports.models import Document
from tests.reports.conftest import decision_of, flat, pdf_text, text_of
from tests.reports.pdfcheck import assert_no_tofu

pytestmark = pytest.mark.django_db


def url(run, code: str, lang: str = "zh-hans", pdf: bool = False) -> str:
    tail = "scorecard.pdf" if pdf else ""
    return f"/reports/runs/{run.pk}/cities/{code}/{tail}?lang={lang}"


def stored(run, code: str) -> CityResult:
    return CityResult.objects.get(run=run, participation__city__code=code)


def test_a_reviewer_reads_every_figure_of_the_stored_result_in_chinese(reviewer_client, run):
    response = reviewer_client.get(url(run, "110105"))

    assert response.status_code == 200
    text = text_of(response)
    result = stored(run, "110105")
    assert "北京市朝阳区评分卡" in text
    assert f"#{run.pk}" in text and run.ruleset.label in text
    assert run.input_digest in text and run.result_digest in text
    assert result.input_digest in text and result.result_digest in text
    with translation.override("zh-hans"):
        for item in result.indicator_results.select_related("indicator"):
            assert item.indicator.name_zh in text
            assert figures.target(item) in text
            assert figures.actual(item) in text
            assert f"{figures.number(item.points)} / {figures.number(item.weight)}" in text
            assert wording.indicator_reason(item, run=run) in text
        assert wording.decision_reason(result) in text
    assert f"{result.score}" in text and "差" in text  # Chaoyang is poor
    assert "城市承诺目标" in text or "国家参考指标" in text
    assert "待签批" in text  # not signed off yet
    assert "<svg" in response.content.decode()  # the chart, drawn on the server


def test_the_english_page_shows_the_stored_reasons(reviewer_client, run):
    text = text_of(reviewer_client.get(url(run, "110105", "en")))

    result = stored(run, "110105")
    assert "Scorecard of Beijing Chaoyang District" in text
    for item in result.indicator_results.select_related("indicator"):
        assert item.indicator.name_en in text
        assert item.reason in text
    assert result.reason in text
    assert "awaiting sign-off" in text


def test_once_signed_off_the_scorecard_shows_who_decided_what_when_and_why(
    reviewer_client, finalised
):
    decision = decision_of(finalised, "110105")
    text = text_of(reviewer_client.get(url(finalised, "110105", "en")))

    assert "overridden" in text
    assert "15,000,000.00" in text
    assert "Fang Wang" in text
    assert decision.override_reason in text


def test_an_official_sees_their_city_only_once_the_official_run_is_finalised(
    official_client, run, signer
):
    assert official_client.get(url(run, "440300")).status_code == 404

    from evaluation.services.decisions import decision_confirm

    decision_confirm(decision=decision_of(run, "440300"), by=signer)
    decision_confirm(decision=decision_of(run, "110105"), by=signer)

    response = official_client.get(url(run, "440300"))
    assert response.status_code == 200
    assert "深圳市" in text_of(response)


def test_an_official_sees_their_city_in_a_provisional_run(official_client, provisional):
    response = official_client.get(url(provisional, "440300"))

    assert response.status_code == 200
    text = text_of(response)
    assert "深圳市" in text and "北京市朝阳区" not in text
    assert "试算评价" in text  # a provisional run's decisions are never signed off


def test_another_citys_official_and_a_signed_out_visitor_get_nothing(
    other_client, anonymous_client, finalised
):
    for path in (url(finalised, "440300"), url(finalised, "440300", pdf=True)):
        refused = other_client.get(path)
        assert refused.status_code == 404
        assert "深圳" not in refused.content.decode()
        visitor = anonymous_client.get(path)
        assert visitor.status_code == 302 and visitor["Location"].startswith("/?next=")  # sign-in
    assert not Document.objects.exists()  # nothing was built for them


def test_a_city_not_in_the_run_is_not_found(reviewer_client, run):
    assert reviewer_client.get(url(run, "999999")).status_code == 404


def test_the_page_reads_the_same_number_of_queries_whatever_the_city(
    reviewer_client, run, django_assert_max_num_queries
):
    with CaptureQueriesContext(connection) as first:
        reviewer_client.get(url(run, "440300"))
    with CaptureQueriesContext(connection) as second:
        reviewer_client.get(url(run, "110105"))
    # 10: the session is saved on every request (idle sessions expire: SESSION_IDLE_MINUTES);
    # the experts' scores kept with a task's result are read with the indicators.
    assert len(first) == len(second) <= 10


def test_the_chinese_pdf_holds_the_names_and_exactly_the_runs_figures(reviewer_client, finalised):
    response = reviewer_client.get(url(finalised, "110105", pdf=True))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    data = b"".join(response.streaming_content)
    text = flat(pdf_text(data))
    result = stored(finalised, "110105")
    assert "北京市朝阳区" in text
    with translation.override("zh-hans"):
        names = ""
        for item in result.indicator_results.select_related("indicator"):
            names += item.indicator.name_zh
            assert flat(item.indicator.name_zh) in text
            assert figures.actual(item) in text
            assert figures.target(item) in text
            assert figures.percent(item.attainment) in text
            assert flat(f"{figures.number(item.points)} / {figures.number(item.weight)}") in text
        assert flat(wording.decision_reason(result)) in text
    assert figures.number(result.score) in text
    assert "15,000,000.00" in text  # the overridden amount
    assert finalised.input_digest in text and finalised.result_digest in text
    # The footer of every page: the run and its ruleset, and the page number.
    assert f"#{finalised.pk}" in text and finalised.ruleset.label in text
    assert "1/" in text
    # The chart's labels are text drawn with the document's embedded fonts too.
    assert "各指标得分与权重" in text
    assert_no_tofu(data, chinese="北京市朝阳区" + names + "差各指标得分与权重")


def test_the_english_pdf_says_the_same_in_english(reviewer_client, run):
    data = b"".join(reviewer_client.get(url(run, "440300", "en", pdf=True)).streaming_content)

    text = flat(pdf_text(data))
    assert flat("Scorecard of Shenzhen") in text
    # Every indicator the run scored (the catalogue also holds the budget's entry, which the
    # shipped ruleset does not score).
    for indicator in Indicator.objects.filter(reported=True):
        assert flat(indicator.name_en) in text
    assert "100.00" in text and flat("excellent (优)") in text
    assert_no_tofu(data, chinese="优")


@pytest.mark.chinese
def test_without_a_language_asked_for_the_scorecard_is_in_chinese(reviewer, run):
    from tests.reports.conftest import logged_in

    response = logged_in(reviewer).get(f"/reports/runs/{run.pk}/cities/440300/")

    assert "深圳市评分卡" in text_of(response)
    assert response.content.decode().startswith('<!DOCTYPE html>\n<html lang="zh-hans">')


def test_a_name_no_font_has_never_takes_the_scorecard_down(reviewer_client, run):
    """An indicator renamed with a character no installed font has (before the admin refused
    such names, or through a shell): the chart is drawn with the indicator codes instead, and
    the page and the PDF are made."""
    Indicator.objects.filter(code="pledge_projects").update(name_zh="质押项目🚀")

    page = reviewer_client.get(url(run, "110105"))
    document = reviewer_client.get(url(run, "110105", pdf=True))

    assert page.status_code == 200
    assert "质押项目🚀" in text_of(page)  # the table shows the name as it is
    assert page.content.decode().count("<svg") >= 1  # the chart is there, drawn by code
    assert document.status_code == 200
    assert b"".join(document.streaming_content).startswith(b"%PDF")
