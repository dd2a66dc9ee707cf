"""Loading the cities, targets and metrics files: every bad row named, all or nothing, and a
second load of the same file changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from evaluation.models import MetricValue, Participation, Programme, Target
from evaluation.models.cities import City
from evaluation.services.imports import (
    ImportSummary,
    cities_import,
    metrics_import,
    targets_import,
)
from evaluation.tabular import ImportRefused
from tests.conftest import csv_bytes, xlsx_bytes
from tests.factories import CityFactory, ParticipationFactory, add_target, add_value

pytestmark = pytest.mark.django_db

METRICS_HEADER = "city_code,period,indicator,value"
TARGETS_HEADER = "city_code,indicator,target"
CITIES_HEADER = "code,name_en,name_zh,province"


def load_metrics(*rows: str, approve: bool = False, by: Any = None, name: str = "m.csv"):
    return metrics_import(name=name, data=csv_bytes(METRICS_HEADER, *rows), approve=approve, by=by)


def load_targets(programme: Programme, *rows: str, by: Any = None) -> ImportSummary:
    return targets_import(
        name="t.csv", data=csv_bytes(TARGETS_HEADER, *rows), programme=programme, by=by
    )


def load_cities(
    programme: Programme, *rows: str, header: str = CITIES_HEADER, by: Any = None
) -> ImportSummary:
    return cities_import(name="c.csv", data=csv_bytes(header, *rows), programme=programme, by=by)


def refusal(load: Callable[[], object]) -> ImportRefused:
    with pytest.raises(ImportRefused) as caught:
        load()
    return caught.value


def where(refused: ImportRefused) -> set[tuple[int, str | None]]:
    return {(error.line, error.column) for error in refused.errors}


def only_error(refused: ImportRefused):
    assert len(refused.errors) == 1, refused.report()
    return refused.errors[0]


def metric_snapshot() -> tuple[list[tuple[Any, ...]], int]:
    rows = list(
        MetricValue.objects.order_by("pk").values_list(
            "city__code", "indicator__code", "year", "granularity", "number", "value", "status"
        )
    )
    return rows, MetricValue.history.count()


def stored(code: str, indicator: str, year: int, granularity: str, number: int) -> MetricValue:
    return MetricValue.objects.get(
        city__code=code,
        indicator__code=indicator,
        year=year,
        granularity=granularity,
        number=number,
    )


@pytest.fixture
def shenzhen(programme: Programme) -> City:
    return ParticipationFactory(
        programme=programme, city=CityFactory(code="440300", name_en="Shenzhen")
    ).city


@pytest.fixture
def hefei(programme: Programme) -> City:
    return ParticipationFactory(
        programme=programme, city=CityFactory(code="340100", name_en="Hefei")
    ).city


# Metrics: each kind of bad row ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "column", "words"),
    [
        pytest.param(
            "999999,2020-07,pledge_amount,1", "city_code", "unknown city 999999", id="unknown-city"
        ),
        pytest.param("44030,2020-07,pledge_amount,1", "city_code", "6-digit", id="5-digit-code"),
        pytest.param(
            "440300,2020-07,patents_granted,1",
            "indicator",
            "unknown indicator",
            id="unknown-indicator",
        ),
        pytest.param("440300,2020-13,pledge_amount,1", "period", "not a period", id="month-13"),
        pytest.param("440300,2020-Q5,pledge_amount,1", "period", "not a period", id="quarter-5"),
        pytest.param("440300,July,pledge_amount,1", "period", "not a period", id="month-name"),
        pytest.param("440300,,pledge_amount,1", "period", "required", id="no-period"),
        pytest.param("440300,2020-07,pledge_amount,-5", "value", "negative", id="negative"),
        pytest.param(
            "440300,2020-07,pledge_amount,many", "value", "not a number", id="non-numeric"
        ),
        pytest.param("440300,2020-07,pledge_amount,", "value", "required", id="no-value"),
        pytest.param(
            "440300,2020-07,transfer_licence_count,1.5",
            "value",
            "whole number",
            id="fractional-count",
        ),
        pytest.param(
            "440300,2020-07,pledge_amount,1.234",
            "value",
            "more than 2 decimals",
            id="three-decimal-amount",
        ),
    ],
)
def test_bad_metric_row_is_refused_at_its_line_and_column(
    shenzhen: City, row: str, column: str, words: str
) -> None:
    refused = refusal(lambda: load_metrics("440300,2020-06,pledge_amount,10", row))

    error = only_error(refused)
    assert (error.line, error.column) == (3, column)
    assert words in error.reason
    assert MetricValue.objects.count() == 0


def test_amount_with_two_decimals_and_count_written_as_whole_are_accepted(shenzhen: City) -> None:
    load_metrics("440300,2020-07,pledge_amount,1234.56", "440300,2020-07,pledge_projects,12")

    assert stored("440300", "pledge_amount", 2020, "month", 7).value == Decimal("1234.56")
    assert stored("440300", "pledge_projects", 2020, "month", 7).value == 12


def test_duplicate_row_names_the_second_line_and_the_first(shenzhen: City) -> None:
    refused = refusal(
        lambda: load_metrics(
            "440300,2020-07,pledge_amount,10",
            "440300,2020-08,pledge_amount,11",
            "440300,2020-07,pledge_amount,12",
        )
    )

    error = only_error(refused)
    assert error.line == 4
    assert "duplicate of line 2" in error.reason


def test_mixed_granularity_in_the_file_names_both_rows(shenzhen: City) -> None:
    refused = refusal(
        lambda: load_metrics(
            "440300,2020,transfer_licence_count,100",
            "440300,2020-Q1,pledge_amount,5",
            "440300,2020-Q1,transfer_licence_count,20",
        )
    )

    assert where(refused) == {(2, "period"), (4, "period")}
    assert all("lines 2, 4" in error.reason for error in refused.errors)


def test_same_year_may_use_different_granularities_for_different_indicators_or_cities(
    shenzhen: City, hefei: City
) -> None:
    summary = load_metrics(
        "440300,2020,transfer_licence_count,100",
        "440300,2020-Q1,pledge_amount,5",
        "340100,2020-01,transfer_licence_count,7",
        "440300,2019-03,transfer_licence_count,9",
    )

    assert summary.created == 4


def test_mixed_granularity_against_stored_rows_is_refused(shenzhen: City) -> None:
    add_value(shenzhen, "pledge_amount", "2020-01", "10")
    before = metric_snapshot()

    refused = refusal(lambda: load_metrics("440300,2020-Q1,pledge_amount,30"))

    error = only_error(refused)
    assert (error.line, error.column) == (2, "period")
    assert "already stored: 2020-01" in error.reason
    assert metric_snapshot() == before


def test_unknown_column_in_header_is_refused_on_line_1(shenzhen: City) -> None:
    data = csv_bytes(METRICS_HEADER + ",remark", "440300,2020-07,pledge_amount,1,ok")

    refused = refusal(lambda: metrics_import(name="m.csv", data=data, approve=False, by=None))

    assert where(refused) == {(1, "remark")}


def test_missing_required_column_is_refused_on_line_1(shenzhen: City) -> None:
    data = csv_bytes("city_code,indicator,value", "440300,pledge_amount,1")

    refused = refusal(lambda: metrics_import(name="m.csv", data=data, approve=False, by=None))

    assert where(refused) == {(1, "period")}


def test_row_with_extra_fields_is_refused(shenzhen: City) -> None:
    refused = refusal(
        lambda: load_metrics("440300,2020-07,pledge_amount,1", "440300,2020-08,pledge_amount,1,2")
    )

    assert where(refused) == {(3, None)}


def test_every_bad_row_of_a_file_is_reported(shenzhen: City) -> None:
    add_value(shenzhen, "contract_turnover", "2020-01", "10")

    refused = refusal(
        lambda: load_metrics(
            "440300,2020-07,pledge_amount,10",  # good
            "999999,2020-07,pledge_amount,10",
            "440300,2020-07,nothing,10",
            "440300,2020-13,pledge_amount,10",
            "440300,2020-08,pledge_projects,-1",
            "440300,2020-08,pledge_amount,1.234",
            "440300,2020-07,pledge_amount,11",
            "440300,2020-Q1,contract_turnover,10",
            "440300,2020-09,pledge_amount,1,2",
            "44030,2020,transfer_licence_count,abc",
        )
    )

    assert where(refused) == {
        (3, "city_code"),
        (4, "indicator"),
        (5, "period"),
        (6, "value"),
        (7, "value"),
        (8, None),
        (9, "period"),
        (10, None),
        (11, "city_code"),
        (11, "value"),
    }
    assert MetricValue.objects.count() == 1


# All or nothing -------------------------------------------------------------------------------


def test_one_bad_metric_row_saves_nothing_of_the_good_ones(shenzhen: City, reviewer) -> None:
    add_value(shenzhen, "pledge_amount", "2020-06", "5", approved=False)
    before = metric_snapshot()

    refusal(
        lambda: load_metrics(
            "440300,2020-06,pledge_amount,6",
            "440300,2020-07,pledge_amount,7",
            "440300,2020-08,pledge_amount,8",
            "440300,2020-09,pledge_amount,-9",
            approve=True,
            by=reviewer,
        )
    )

    assert metric_snapshot() == before


def test_one_bad_city_row_saves_nothing(programme: Programme) -> None:
    cities_before = City.history.count()

    refusal(
        lambda: load_cities(
            programme,
            "440300,Shenzhen,深圳市,Guangdong",
            "340100,Hefei,合肥市,Anhui",
            "370600,Yantai,烟台市,Shandong",
            "4101,Luoyang,洛阳市,Henan",
        )
    )

    assert City.objects.count() == 0
    assert Participation.objects.count() == 0
    assert City.history.count() == cities_before


def test_one_bad_target_row_saves_nothing(programme: Programme, shenzhen: City) -> None:
    add_target(shenzhen.participations.get(), "pledge_amount", "0.35")
    before = list(Target.objects.values_list("indicator__code", "value"))
    history_before = Target.history.count()

    refusal(
        lambda: load_targets(
            programme,
            "440300,pledge_amount,0.50",
            "440300,transfer_licence_count,0.25",
            "440300,sme_transformations,150",
            "440300,certified_entities,150",
        )
    )

    assert list(Target.objects.values_list("indicator__code", "value")) == before
    assert Target.history.count() == history_before


# Idempotency ----------------------------------------------------------------------------------


@pytest.mark.parametrize("approve", [False, True], ids=["submitted", "approved"])
def test_loading_the_same_metrics_twice_changes_nothing_the_second_time(
    shenzhen: City, hefei: City, approve: bool
) -> None:
    rows = (
        "440300,2019,transfer_licence_count,1000",
        "440300,2020-Q1,pledge_amount,1234.50",
        "340100,2020-07,pledge_projects,3",
    )
    first = load_metrics(*rows, approve=approve)
    after_first = metric_snapshot()

    second = load_metrics(*rows, approve=approve)

    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 3)
    assert metric_snapshot() == after_first


# Approval -------------------------------------------------------------------------------------


def test_values_arrive_submitted_without_approve(shenzhen: City, reviewer) -> None:
    load_metrics("440300,2020-07,pledge_amount,10", by=reviewer)

    value = stored("440300", "pledge_amount", 2020, "month", 7)
    assert value.status == MetricValue.Status.SUBMITTED
    assert value.approved_at is None
    assert value.submitted_by == reviewer


def test_values_arrive_approved_with_approve(shenzhen: City, reviewer) -> None:
    load_metrics("440300,2020-07,pledge_amount,10", approve=True, by=reviewer)

    value = stored("440300", "pledge_amount", 2020, "month", 7)
    assert value.status == MetricValue.Status.APPROVED
    assert value.approved_at is not None
    assert value.approved_by == reviewer
    latest = value.history.latest()
    assert latest.history_user == reviewer
    assert "m.csv" in latest.history_change_reason


def test_submitted_load_cannot_change_an_approved_value(shenzhen: City) -> None:
    add_value(shenzhen, "pledge_amount", "2020-07", "10")
    before = metric_snapshot()

    refused = refusal(
        lambda: load_metrics("440300,2020-06,pledge_amount,1", "440300,2020-07,pledge_amount,11")
    )

    error = only_error(refused)
    assert (error.line, error.column) == (3, "value")
    assert "approved value 10" in error.reason
    assert metric_snapshot() == before


def test_approved_load_changes_an_approved_value_and_history_keeps_both(
    shenzhen: City, reviewer
) -> None:
    add_value(shenzhen, "pledge_amount", "2020-07", "10.00")

    summary = load_metrics(
        "440300,2020-07,pledge_amount,12.50", approve=True, by=reviewer, name="audited-2020.csv"
    )

    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 0)
    value = stored("440300", "pledge_amount", 2020, "month", 7)
    assert value.value == Decimal("12.50")
    assert value.status == MetricValue.Status.APPROVED
    newest, previous = value.history.order_by("-history_date", "-history_id")[:2]
    assert previous.value == Decimal("10.00")
    assert newest.value == Decimal("12.50")
    assert newest.history_user == reviewer
    assert "audited-2020.csv" in newest.history_change_reason


def test_submitted_load_repeating_an_approved_value_changes_nothing(shenzhen: City) -> None:
    add_value(shenzhen, "pledge_amount", "2020-07", "10")
    before = metric_snapshot()

    summary = load_metrics("440300,2020-07,pledge_amount,10.00")

    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 1)
    assert metric_snapshot() == before


def test_approved_load_of_the_same_value_approves_a_submitted_one(shenzhen: City, reviewer) -> None:
    add_value(shenzhen, "pledge_amount", "2020-07", "10", approved=False)

    summary = load_metrics("440300,2020-07,pledge_amount,10", approve=True, by=reviewer)

    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 0)
    value = stored("440300", "pledge_amount", 2020, "month", 7)
    assert value.status == MetricValue.Status.APPROVED
    assert value.approved_at is not None
    assert value.approved_by == reviewer


def test_submitted_load_may_correct_a_submitted_value(shenzhen: City) -> None:
    add_value(shenzhen, "pledge_amount", "2020-07", "10", approved=False)

    summary = load_metrics("440300,2020-07,pledge_amount,11")

    assert summary.updated == 1
    value = stored("440300", "pledge_amount", 2020, "month", 7)
    assert (value.value, value.status) == (Decimal("11"), MetricValue.Status.SUBMITTED)


# XLSX -----------------------------------------------------------------------------------------


def test_xlsx_loads_like_the_csv(shenzhen: City) -> None:
    data = xlsx_bytes(
        ["indicator", "city_code", "period", "value"],
        ["pledge_amount", "440300", "2020-Q3", 1234.5],
        ["transfer_licence_count", 440300, "2019", 1000],
    )

    summary = metrics_import(name="metrics.xlsx", data=data, approve=False, by=None)

    assert summary.created == 2
    assert stored("440300", "pledge_amount", 2020, "quarter", 3).value == Decimal("1234.50")
    assert stored("440300", "transfer_licence_count", 2019, "year", 0).value == 1000


def test_xlsx_first_of_month_date_in_the_period_column_is_that_month(shenzhen: City) -> None:
    data = xlsx_bytes(
        ["city_code", "period", "indicator", "value"],
        ["440300", dt.datetime(2020, 7, 1), "pledge_projects", 4],
    )

    metrics_import(name="metrics.xlsx", data=data, approve=False, by=None)

    assert stored("440300", "pledge_projects", 2020, "month", 7).value == 4


def test_xlsx_bad_row_is_reported_by_its_spreadsheet_row(shenzhen: City) -> None:
    data = xlsx_bytes(
        ["city_code", "period", "indicator", "value"],
        ["440300", "2020-07", "pledge_projects", 4],
        [],
        ["440300", dt.datetime(2020, 8, 15), "pledge_projects", 4],
        ["440300", "2020-09", "pledge_projects", 4.5],
    )

    refused = refusal(lambda: metrics_import(name="m.xlsx", data=data, approve=False, by=None))

    assert where(refused) == {(4, "period"), (5, "value")}
    assert MetricValue.objects.count() == 0


# Encodings and empty files --------------------------------------------------------------------


def test_csv_with_utf8_bom_loads(programme: Programme) -> None:
    data = "\ufeffcode,name_en,name_zh,province\n370600,Yantai,烟台市,山东省\n".encode()

    summary = cities_import(name="c.csv", data=data, programme=programme, by=None)

    assert summary.created == 1
    assert City.objects.get(code="370600").name_zh == "烟台市"


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_csv_saved_by_excel_on_chinese_windows_is_read(programme: Programme, encoding) -> None:
    data = "code,name_en,name_zh,province\n370600,Yantai,烟台市,山东省\n".encode(encoding)

    summary = cities_import(name="c.csv", data=data, programme=programme, by=None)

    assert summary.created == 1
    assert City.objects.get(code="370600").name_zh == "烟台市"


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\n"], ids=["empty", "bom", "blank"])
def test_empty_file_is_refused(data: bytes) -> None:
    refused = refusal(lambda: metrics_import(name="m.csv", data=data, approve=False, by=None))

    assert "empty" in only_error(refused).reason


# Cities ---------------------------------------------------------------------------------------


def test_cities_join_the_programme_with_its_fixed_amounts(programme: Programme, reviewer) -> None:
    summary = load_cities(
        programme,
        "110105,Beijing Chaoyang,北京市朝阳区,Beijing",
        "340100,Hefei,合肥市,Anhui",
        by=reviewer,
    )

    assert (summary.created, summary.updated, summary.unchanged) == (2, 0, 0)
    chaoyang = Participation.objects.get(programme=programme, city__code="110105")
    assert chaoyang.city.name_zh == "北京市朝阳区"
    assert chaoyang.total_amount == Decimal("150000000.00")
    assert chaoyang.first_tranche == Decimal("100000000.00")
    assert chaoyang.city.history.latest().history_user == reviewer


@pytest.mark.parametrize("code", ["44030", "4403000", "44030A", "ABCDEF"])
def test_city_code_must_be_six_digits(programme: Programme, code: str) -> None:
    refused = refusal(lambda: load_cities(programme, f"{code},Shenzhen,深圳市,Guangdong"))

    error = only_error(refused)
    assert (error.line, error.column) == (2, "code")
    assert "6-digit" in error.reason


def test_duplicate_city_code_is_refused(programme: Programme) -> None:
    refused = refusal(
        lambda: load_cities(
            programme, "440300,Shenzhen,深圳市,Guangdong", "440300,Shenzen,深圳,Guangdong"
        )
    )

    error = only_error(refused)
    assert (error.line, error.column) == (3, "code")
    assert "line 2" in error.reason
    assert City.objects.count() == 0


def test_cities_reload_is_unchanged(programme: Programme) -> None:
    rows = ("440300,Shenzhen,深圳市,Guangdong", "340100,Hefei,合肥市,Anhui")
    load_cities(programme, *rows)
    history = City.history.count(), Participation.history.count()

    summary = load_cities(programme, *rows)

    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 2)
    assert (City.history.count(), Participation.history.count()) == history


def test_renaming_a_city_by_a_second_load_is_an_update_with_history(programme: Programme) -> None:
    load_cities(programme, "440300,Shenzen,深圳市,Guangdong", "340100,Hefei,合肥市,Anhui")

    summary = load_cities(
        programme, "440300,Shenzhen,深圳市,Guangdong", "340100,Hefei,合肥市,Anhui"
    )

    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 1)
    city = City.objects.get(code="440300")
    assert city.name_en == "Shenzhen"
    assert [h.name_en for h in city.history.order_by("history_date", "history_id")] == [
        "Shenzen",
        "Shenzhen",
    ]


def test_range_programme_requires_each_citys_amounts() -> None:
    batch_2019 = Programme.objects.get(code="2019")

    refused = refusal(lambda: load_cities(batch_2019, "370200,Qingdao,青岛市,Shandong"))

    error = only_error(refused)
    assert error.line == 2
    assert "total_amount and first_tranche" in error.reason


def test_range_programme_accepts_amounts_inside_the_range_and_refuses_outside() -> None:
    batch_2019 = Programme.objects.get(code="2019")
    header = CITIES_HEADER + ",total_amount,first_tranche"

    refused = refusal(
        lambda: load_cities(
            batch_2019,
            "370200,Qingdao,青岛市,Shandong,180000000.00,120000000.00",
            "320500,Suzhou,苏州市,Jiangsu,250000000,120000000",
            "330100,Hangzhou,杭州市,Zhejiang,200000000,90000000",
            header=header,
        )
    )
    assert where(refused) == {(3, "total_amount"), (4, "first_tranche")}
    assert City.objects.count() == 0

    summary = load_cities(
        batch_2019,
        "370200,Qingdao,青岛市,Shandong,180000000.00,120000000.00",
        "320500,Suzhou,苏州市,Jiangsu,150000000,100000000",
        "330100,Hangzhou,杭州市,Zhejiang,200000000,150000000",
        header=header,
    )
    assert summary.created == 3
    qingdao = Participation.objects.get(programme=batch_2019, city__code="370200")
    assert (qingdao.total_amount, qingdao.first_tranche) == (
        Decimal("180000000.00"),
        Decimal("120000000.00"),
    )


# Targets --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "floor"),
    [
        pytest.param("440300,transfer_licence_count,0.15", "0.2 (20% growth)", id="growth"),
        pytest.param("440300,sme_transformations,90", "floor 100", id="cumulative"),
    ],
)
def test_target_below_the_national_floor_is_refused_naming_the_floor(
    programme: Programme, shenzhen: City, row: str, floor: str
) -> None:
    refused = refusal(lambda: load_targets(programme, "440300,pledge_amount,0.35", row))

    error = only_error(refused)
    assert (error.line, error.column) == (3, "target")
    assert "below the national floor" in error.reason
    assert floor in error.reason
    assert Target.objects.count() == 0


def test_target_at_the_floor_is_accepted(programme: Programme, shenzhen: City) -> None:
    summary = load_targets(
        programme, "440300,transfer_licence_count,0.20", "440300,sme_transformations,100"
    )

    assert summary.created == 2


def test_target_of_a_city_outside_the_programme_is_refused(
    programme: Programme, shenzhen: City
) -> None:
    CityFactory(code="370200")

    refused = refusal(
        lambda: load_targets(programme, "370200,pledge_amount,0.35", "999999,pledge_amount,0.35")
    )

    assert where(refused) == {(2, "city_code"), (3, "city_code")}
    reasons = [error.reason for error in refused.errors]
    assert "not in programme 2020" in reasons[0]
    assert "unknown city" in reasons[1]


@pytest.mark.parametrize(
    ("row", "column", "words"),
    [
        pytest.param(
            "440300,patents_granted,0.5", "indicator", "unknown indicator", id="unknown-indicator"
        ),
        pytest.param(
            "440300,sme_transformations,120.5", "target", "whole number", id="fractional-count"
        ),
        pytest.param("440300,pledge_amount,", "target", "required", id="no-target"),
        pytest.param("440300,pledge_amount,thirty", "target", "not a number", id="non-numeric"),
    ],
)
def test_bad_target_row_is_refused(
    programme: Programme, shenzhen: City, row: str, column: str, words: str
) -> None:
    refused = refusal(lambda: load_targets(programme, row))

    error = only_error(refused)
    assert (error.line, error.column) == (2, column)
    assert words in error.reason


def test_targets_load_and_reload_unchanged(
    programme: Programme, shenzhen: City, hefei: City, reviewer
) -> None:
    rows = (
        "440300,transfer_licence_count,0.25",
        "440300,sme_transformations,120",
        "340100,pledge_amount,0.3",
    )

    first = load_targets(programme, *rows, by=reviewer)
    history = Target.history.count()
    second = load_targets(programme, *rows, by=reviewer)

    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 3)
    assert Target.history.count() == history
    committed = {
        (t.participation.city.code, t.indicator.code): t.value
        for t in Target.objects.select_related("participation__city", "indicator")
    }
    assert committed == {
        ("440300", "transfer_licence_count"): Decimal("0.25"),
        ("440300", "sme_transformations"): Decimal("120"),
        ("340100", "pledge_amount"): Decimal("0.3"),
    }


def test_changing_a_target_is_an_update_with_history(
    programme: Programme, shenzhen: City, reviewer
) -> None:
    load_targets(programme, "440300,pledge_amount,0.35")

    summary = load_targets(programme, "440300,pledge_amount,0.40", by=reviewer)

    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 0)
    target = Target.objects.get()
    assert target.value == Decimal("0.40")
    latest = target.history.latest()
    assert (latest.value, latest.history_user) == (Decimal("0.40"), reviewer)


def test_target_too_large_to_store_is_refused_at_its_row(
    programme: Programme, shenzhen: City
) -> None:
    """Target.value holds 10 digits before the point; a larger target is a bad row, not a value
    that later loads cannot read back."""
    refused = refusal(lambda: load_targets(programme, "440300,sme_transformations,100000000000"))

    error = only_error(refused)
    assert (error.line, error.column) == (2, "target")
    assert Target.objects.count() == 0
