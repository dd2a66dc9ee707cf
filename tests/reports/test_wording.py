"""The reasons in the active language: English documents show the scoring core's stored
reason; Chinese ones a text composed from the stored numbers and status only, so both say
the same with the same figures, for every status of both rule kinds."""

from __future__ import annotations

import pytest
from django.utils import translation

from evaluation.models import CityResult, IndicatorResult
from reports import figures, wording
from tests.factories import ParticipationFactory, add_value

pytestmark = pytest.mark.django_db


@pytest.fixture
def yantai(programme):
    """Growth with a baseline of 0 and with an incomplete final year; a cumulative count of 0."""
    participation = ParticipationFactory(
        programme=programme, city__code="370600", city__name_zh="烟台市"
    )
    city = participation.city
    add_value(city, "transfer_licence_count", "2019", "0")
    add_value(city, "transfer_licence_count", "2021", "10")
    add_value(city, "pledge_amount", "2019", "100")
    add_value(city, "pledge_amount", "2021-01", "10")  # 1 month of 12: incomplete
    add_value(city, "certified_entities", "2020", "0")
    return participation


@pytest.fixture
def results(run, yantai, evaluate) -> list[IndicatorResult]:
    later = evaluate()
    return list(
        IndicatorResult.objects.filter(city_result__run=later).select_related(
            "indicator", "city_result__run__programme"
        )
    )


def cases(results, **match):
    found = [r for r in results if all(getattr(r, k) == v for k, v in match.items())]
    assert found, match
    return found


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("growth", "met"),
        ("growth", "partial"),
        ("growth", "missed"),
        ("growth", "not_assessable"),
        ("cumulative", "met"),
        ("cumulative", "partial"),
        ("cumulative", "missed"),
        ("cumulative", "not_assessable"),
    ],
)
def test_every_status_reads_with_the_stored_figures(results, kind, status):
    for result in cases(results, kind=kind, status=status):
        run = result.city_result.run
        with translation.override("en"):
            assert wording.indicator_reason(result, run=run) == result.reason
        with translation.override("zh-hans"):
            text = wording.indicator_reason(result, run=run)
            assert text != result.reason
            assert f"得 {figures.number(result.points)} 分" in text
            assert f"满分 {figures.number(result.weight)} 分" in text
            if status == "not_assessable":
                assert "无法评价" in text and "待审核" in text
                continue
            assert figures.actual(result) in text and figures.target(result) in text
            source = "城市承诺目标" if result.target_source == "committed" else "国家参考指标"
            assert source in text
            if status == "partial":
                assert figures.percent(result.attainment) in text
            # Every figure the stored English reason gives, the Chinese text gives too.
            for shown in (figures.actual(result), figures.target(result)):
                assert shown in result.reason


def test_why_growth_is_not_assessable_is_told(results):
    by_code = {
        r.indicator.code: r
        for r in results
        if r.city_result.participation.city.code == "370600" and r.kind == "growth"
    }
    run = by_code["transfer_licence_count"].city_result.run
    with translation.override("zh-hans"):
        assert "2019 年基期值为 0" in wording.indicator_reason(
            by_code["transfer_licence_count"], run=run
        )
        assert "2021 年数据不完整" in wording.indicator_reason(by_code["pledge_amount"], run=run)
        assert "基期年 2019 年数据不完整" in wording.indicator_reason(
            by_code["contract_turnover"], run=run
        )


def test_the_decision_reads_with_the_stored_amounts(run):
    for result in CityResult.objects.filter(run=run).select_related("decision"):
        with translation.override("en"):
            assert wording.decision_reason(result) == result.reason
        with translation.override("zh-hans"):
            text = wording.decision_reason(result)
        assert f"总分 {result.score} 分" in text
        assert figures.money(result.decision.remaining_amount) in text
        if result.decision.recommended_decision == "release":
            assert f"建议拨付 {figures.money(result.decision.recommended_amount)} 元" in text
        else:
            assert "建议暂缓拨付第二笔资金" in text
            assert "无法评价" in text  # Chaoyang has indicators flagged for review
