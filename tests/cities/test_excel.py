"""The Excel round-trip: the template downloaded, filled in and uploaded back (or a CSV), a
preview of what would change with every bad row, then all or nothing."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from evaluation.models import MetricValue, Report
from tests.factories import add_value

pytestmark = pytest.mark.django_db


def template(client, participation, period: str = "2021-03"):
    response = client.get(f"/city/{participation.pk}/excel/template.xlsx?period={period}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content))


def saved(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, participation, name: str, data: bytes, **extra):
    return client.post(
        f"/city/{participation.pk}/excel/",
        {"action": "check", "file": SimpleUploadedFile(name, data), **extra},
    )


def test_the_template_has_chinese_headers_an_explanation_and_number_checks(portal_a, city_a):
    workbook = template(portal_a, city_a)
    sheet = workbook.worksheets[0]
    assert "210100" in sheet["A1"].value
    assert [c.value for c in sheet[2]] == [
        "城市代码",
        "期间",
        "指标代码",
        "指标名称",
        "单位",
        "数值",
    ]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 10 and {r[1] for r in rows} == {"2021-03"}
    names = {r[2]: (r[3], r[4]) for r in rows}
    assert names["pledge_amount"] == ("知识产权质押融资金额（万元）", "万元")
    validations = {v.type: str(v.sqref) for v in sheet.data_validations.dataValidation}
    assert set(validations) == {"whole", "decimal"}
    assert "F4" in validations["decimal"] and "F3" in validations["whole"]
    assert len(workbook.worksheets) == 2 and workbook.worksheets[1].max_row >= 7


def test_a_template_without_a_period_lists_every_period_still_to_report(portal_a, city_a):
    for code in ("pledge_projects",):
        add_value(city_a.city, code, "2021-03", "3")
    response = portal_a.get(f"/city/{city_a.pk}/excel/template.xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(min_row=3))
    periods = {row[1].value for row in rows}
    assert "2019" in periods and "2022-12" in periods
    # The approved figure of 2021-03 is not offered for editing; everything else is.
    assert len(rows) == 10 * len(periods) - 1
    assert ("2021-03", "pledge_projects") not in {(r[1].value, r[2].value) for r in rows}


def test_a_filled_template_is_previewed_then_loaded(portal_a, city_a):
    workbook = template(portal_a, city_a)
    sheet = workbook.worksheets[0]
    for row in range(3, 13):
        sheet.cell(row, 6).value = 4 if row != 4 else "120.50"  # numbers stored as text too

    preview = upload(portal_a, city_a, "沈阳.xlsx", saved(workbook))

    assert preview.status_code == 200
    changes = preview.context["preview"]
    assert len(changes) == 10 and not MetricValue.objects.exists()  # a dry run: nothing saved
    assert not Report.objects.exists()
    loaded = portal_a.post(f"/city/{city_a.pk}/excel/", {"action": "load"})
    assert loaded.status_code == 302
    assert MetricValue.objects.count() == 10
    assert str(MetricValue.objects.get(indicator__code="pledge_amount").value) == "120.50"
    assert Report.objects.get().status == "draft"


def test_one_bad_cell_refuses_the_file_naming_its_line_and_nothing_is_saved(portal_a, city_a):
    workbook = template(portal_a, city_a)
    sheet = workbook.worksheets[0]
    for row in range(3, 13):
        sheet.cell(row, 6).value = 4
    sheet.cell(5, 6).value = "2.5"  # pledge_projects is a count

    refused = upload(portal_a, city_a, "t.xlsx", saved(workbook))

    assert refused.status_code == 400
    errors = refused.context["errors"]
    assert [(e["line"], e["column"]) for e in errors] == [(5, "数值")]
    assert "2.5" in errors[0]["reason"]
    assert portal_a.post(f"/city/{city_a.pk}/excel/", {"action": "load"}).status_code == 302
    assert not MetricValue.objects.exists()


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_a_csv_as_excel_saves_it_is_accepted(portal_a, city_a, encoding):
    text = (
        "沈阳市数据\r\n城市代码,期间,指标代码,数值\r\n"
        "210100,2021-03,pledge_projects,4\r\n,,,\r\n210100,2021-03,pledge_amount,10.5\r\n"
    )
    preview = upload(portal_a, city_a, "data.csv", text.encode(encoding))
    assert preview.status_code == 200, preview.context.get("errors")
    assert len(preview.context["preview"]) == 2


def test_another_citys_rows_are_refused(portal_a, city_a):
    data = b"city_code,period,indicator,value\n650100,2021-03,pledge_projects,4\n"
    refused = upload(portal_a, city_a, "x.csv", data)
    assert refused.status_code == 400
    assert "乌鲁木齐" not in refused.content.decode()
    assert not MetricValue.objects.exists()


def test_an_upload_for_another_city_is_not_found(portal_b, city_a):
    data = b"city_code,period,indicator,value\n210100,2021-03,pledge_projects,4\n"
    assert upload(portal_b, city_a, "x.csv", data).status_code == 404
    assert portal_b.get(f"/city/{city_a.pk}/excel/template.xlsx").status_code == 404
    assert not MetricValue.objects.exists()
