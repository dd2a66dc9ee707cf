"""``reports.exports`` on its own: the rows of the interfaces.md formats, as CSV or XLSX."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from evaluation.models import MetricValue
from reports.exports import as_file, metrics_rows, targets_rows
from tests.factories import add_target

pytestmark = pytest.mark.django_db


def test_metrics_rows_have_the_columns_of_interfaces_md(cities):
    values = MetricValue.objects.select_related("city", "indicator").filter(city=cities[1].city)

    assert metrics_rows(values) == [
        ["city_code", "period", "indicator", "value"],
        ["110105", "2020", "sme_transformations", "10.00"],
    ]


def test_targets_rows_are_the_programmes_committed_targets(programme, cities):
    add_target(cities[0], "pledge_amount", "0.3500")
    add_target(cities[1], "sme_transformations", "120")

    assert targets_rows(programme) == [
        ["city_code", "indicator", "target"],
        ["110105", "sme_transformations", "120"],
        ["440300", "pledge_amount", "0.35"],
    ]


def test_the_same_rows_as_csv_and_as_xlsx():
    rows = [["city_code", "indicator", "target"], ["440300", "pledge_amount", "0.35"]]

    csv_bytes, csv_type = as_file(rows, "csv")
    xlsx_bytes, xlsx_type = as_file(rows, "xlsx")

    assert csv_bytes.decode("utf-8") == "city_code,indicator,target\n440300,pledge_amount,0.35\n"
    assert csv_type.startswith("text/csv")
    sheet = load_workbook(io.BytesIO(xlsx_bytes)).active
    assert [[c.value for c in row] for row in sheet.iter_rows()] == rows
    assert "spreadsheetml" in xlsx_type
