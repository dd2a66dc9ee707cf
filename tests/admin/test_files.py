"""Loading and exporting the metrics and targets files in the admin: every bad row shown before
anything is saved, a check that saves nothing, and the columns of interfaces.md."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from evaluation.models import MetricValue, Target
from tests.admin.conftest import page, shown_messages
from tests.conftest import csv_bytes, xlsx_bytes
from tests.factories import add_target, add_value

pytestmark = pytest.mark.django_db

LOAD = "/admin/evaluation/metricvalue/load/"
METRICS_HEADER = "city_code,period,indicator,value"


def upload(content: bytes, name: str = "metrics.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def bad_rows(response) -> list[tuple[int, str, str]]:
    return [(e.line, e.column or "", e.reason) for e in response.context["errors"]]


@pytest.fixture
def bad_metrics(city_a) -> bytes:
    return csv_bytes(
        METRICS_HEADER,
        "440300,2021-01,transfer_licence_count,12",  # good
        "440300,2021-13,transfer_licence_count,5",
        "999999,2021-01,pledge_amount,5",
        "440300,2021-01,no_such_indicator,5",
        "440300,2021-02,pledge_amount,lots",
    )


def test_the_load_page_offers_a_file_and_its_kind(admin_client):
    response = admin_client.get(LOAD)

    assert response.status_code == 200
    markup = response.content.decode()
    assert 'name="check" value="Check (saves nothing)"' in markup
    assert 'name="load" value="Load"' in markup
    assert "Programme: " in page(response)


def test_checking_a_bad_file_shows_every_bad_row_and_saves_nothing(admin_client, bad_metrics):
    response = admin_client.post(
        LOAD, {"kind": "metrics", "file": upload(bad_metrics), "check": "Check"}
    )

    assert response.status_code == 200
    rows = bad_rows(response)
    assert [(line, column) for line, column, _ in rows] == [
        (3, "period"),
        (4, "city_code"),
        (5, "indicator"),
        (6, "value"),
    ]
    text = page(response)
    assert "4 errors on 4 rows: nothing was saved" in text
    for line, column, reason in rows:
        assert f"{line} {column} {reason}" in text
    assert "unknown city 999999" in text
    assert "metrics.csv: refused, nothing was saved." in shown_messages(response)
    assert not MetricValue.objects.exists()


def test_loading_a_bad_file_saves_nothing_either(admin_client, bad_metrics):
    response = admin_client.post(
        LOAD, {"kind": "metrics", "file": upload(bad_metrics), "load": "Load"}
    )

    assert len(bad_rows(response)) == 4
    assert not MetricValue.objects.exists()


def test_checking_a_good_file_says_what_would_change_and_saves_nothing(admin_client, city_a):
    add_value(city_a.city, "transfer_licence_count", "2021-01", "10")
    good = csv_bytes(
        METRICS_HEADER,
        "440300,2021-01,transfer_licence_count,10",
        "440300,2021-02,transfer_licence_count,11",
        "440300,2021-03,transfer_licence_count,12",
    )

    response = admin_client.post(LOAD, {"kind": "metrics", "file": upload(good), "check": "Check"})

    assert response.status_code == 200
    assert response.context["errors"] is None
    assert "would change: 2 created, 0 updated, 1 unchanged." in shown_messages(response)
    assert MetricValue.objects.count() == 1


def test_loading_a_good_file_saves_it_as_submitted(admin_client, administrator, city_a):
    good = csv_bytes(
        METRICS_HEADER,
        "440300,2021-01,transfer_licence_count,10",
        "440300,2021-02,transfer_licence_count,11",
    )

    response = admin_client.post(LOAD, {"kind": "metrics", "file": upload(good), "load": "Load"})

    assert "loaded: 2 created, 0 updated, 0 unchanged." in shown_messages(response)
    values = MetricValue.objects.order_by("number")
    assert [(v.number, v.value, v.status) for v in values] == [
        (1, Decimal("10.00"), "submitted"),
        (2, Decimal("11.00"), "submitted"),
    ]
    assert {v.history.get().history_user for v in values} == {administrator}


def test_loading_an_xlsx_file_as_approved(admin_client, administrator, city_a):
    workbook = xlsx_bytes(
        ["city_code", "period", "indicator", "value"],
        ["440300", "2019", "pledge_amount", "1234.5"],
    )

    response = admin_client.post(
        LOAD,
        {
            "kind": "metrics",
            "file": upload(workbook, "metrics.xlsx"),
            "approve": "on",
            "load": "Load",
        },
    )

    assert "loaded: 1 created, 0 updated, 0 unchanged." in shown_messages(response)
    value = MetricValue.objects.get()
    assert (value.value, value.status, value.approved_by) == (
        Decimal("1234.50"),
        "approved",
        administrator,
    )


def test_targets_need_a_programme(admin_client, city_a):
    targets = csv_bytes("city_code,indicator,target", "440300,transfer_licence_count,0.25")

    response = admin_client.post(
        LOAD, {"kind": "targets", "file": upload(targets, "targets.csv"), "load": "Load"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "programme": ["choose the programme the targets belong to"]
    }
    assert not Target.objects.exists()


def test_targets_below_the_floor_are_shown_and_nothing_is_saved(admin_client, programme, city_a):
    targets = csv_bytes(
        "city_code,indicator,target",
        "440300,transfer_licence_count,0.25",
        "440300,pledge_amount,0.10",
        "440300,certified_entities,150",
    )

    response = admin_client.post(
        LOAD,
        {
            "kind": "targets",
            "programme": programme.pk,
            "file": upload(targets, "targets.csv"),
            "load": "Load",
        },
    )

    assert [(line, column) for line, column, _ in bad_rows(response)] == [
        (3, "target"),
        (4, "target"),
    ]
    assert "below the national floor 0.3 (30% growth)" in page(response)
    assert not Target.objects.exists()


def test_targets_with_a_programme_are_loaded(admin_client, programme, city_a):
    targets = csv_bytes(
        "city_code,indicator,target",
        "440300,transfer_licence_count,0.25",
        "440300,certified_entities,250",
    )

    response = admin_client.post(
        LOAD,
        {
            "kind": "targets",
            "programme": programme.pk,
            "file": upload(targets, "targets.csv"),
            "load": "Load",
        },
    )

    assert "loaded: 2 created, 0 updated, 0 unchanged." in shown_messages(response)
    assert sorted(
        Target.objects.filter(participation=city_a).values_list("indicator__code", "value")
    ) == [("certified_entities", Decimal("250")), ("transfer_licence_count", Decimal("0.25"))]


# Export --------------------------------------------------------------------------------------


@pytest.fixture
def stored(city_a, city_b):
    add_value(city_a.city, "transfer_licence_count", "2019", "100")
    add_value(city_b.city, "pledge_amount", "2021-Q3", "12.5", approved=False)
    add_target(city_a, "transfer_licence_count", "0.25")


def test_the_metrics_export_as_csv_has_the_columns_of_interfaces_md(admin_client, stored):
    response = admin_client.get("/admin/evaluation/metricvalue/export/metrics/csv/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="metrics.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows == [
        ["city_code", "period", "indicator", "value"],
        ["110105", "2021-Q3", "pledge_amount", "12.50"],
        ["440300", "2019", "transfer_licence_count", "100.00"],
    ]


def test_the_metrics_export_as_xlsx_has_the_same_rows(admin_client, stored):
    response = admin_client.get("/admin/evaluation/metricvalue/export/metrics/xlsx/")

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["city_code", "period", "indicator", "value"],
        ["110105", "2021-Q3", "pledge_amount", "12.50"],
        ["440300", "2019", "transfer_licence_count", "100.00"],
    ]


def test_the_metrics_export_can_be_limited_to_approved_values(admin_client, stored):
    response = admin_client.get("/admin/evaluation/metricvalue/export/metrics/csv/?status=approved")

    assert response.content.decode().splitlines() == [
        "city_code,period,indicator,value",
        "440300,2019,transfer_licence_count,100.00",
    ]


def test_the_targets_export_has_the_columns_of_interfaces_md(admin_client, stored):
    response = admin_client.get("/admin/evaluation/metricvalue/export/targets/csv/?programme=2020")

    assert response.content.decode().splitlines() == [
        "city_code,indicator,target",
        "440300,transfer_licence_count,0.25",
    ]


def test_an_exported_file_loads_back_unchanged(admin_client, stored):
    exported = admin_client.get("/admin/evaluation/metricvalue/export/metrics/xlsx/").content

    response = admin_client.post(
        LOAD, {"kind": "metrics", "file": upload(exported, "m.xlsx"), "check": "Check"}
    )

    assert "would change: 0 created, 0 updated, 2 unchanged." in shown_messages(response)


def test_the_metric_values_list_links_to_loading_and_exporting(admin_client):
    text = page(admin_client.get("/admin/evaluation/metricvalue/"))

    assert "Load a file" in text
    assert "Export metrics (CSV)" in text and "Export metrics (XLSX)" in text


@pytest.mark.parametrize(
    "url",
    [
        LOAD,
        "/admin/evaluation/metricvalue/export/metrics/csv/",
        "/admin/evaluation/metricvalue/export/metrics/xlsx/",
        "/admin/evaluation/metricvalue/export/targets/xlsx/?programme=2020",
    ],
)
def test_reviewers_may_neither_load_nor_export(reviewer_client, url):
    assert reviewer_client.get(url).status_code == 403


def test_a_reviewers_load_saves_nothing(reviewer_client, city_a):
    good = csv_bytes(METRICS_HEADER, "440300,2021-01,transfer_licence_count,10")

    response = reviewer_client.post(LOAD, {"kind": "metrics", "file": upload(good), "load": "L"})

    assert response.status_code == 403
    assert not MetricValue.objects.exists()
