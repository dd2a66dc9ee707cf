"""The Excel round-trip: the template downloaded, filled in and uploaded back (or a CSV), a
preview of what would change with every bad row, then all or nothing."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from evaluation.models import MetricValue, Report
from tests.factories import INDICATORS_2020, add_value

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


# Choosing the periods, empty rows, the preview, submitting in one step ----------------------


def rows_of(response) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [tuple(c.value for c in row) for row in sheet.iter_rows(min_row=3)]


def test_the_official_chooses_the_periods_of_the_template(portal_a, city_a):
    page = portal_a.get(f"/city/{city_a.pk}/excel/")
    html = page.content.decode()
    assert 'name="period" value="2021-07"' in html and 'name="period" value="2019"' in html
    assert [year for year, _rows in page.context["years"]][:2] == [2019, 2020]

    chosen = portal_a.get(
        f"/city/{city_a.pk}/excel/template.xlsx",
        {"choose": "1", "period": ["2021-07", "2021-08", "2031-01"]},
    )
    rows = rows_of(chosen)
    assert {row[1] for row in rows} == {"2021-07", "2021-08"}
    assert len(rows) == 20
    # The template's own order: period by period, each indicator in the catalogue's order.
    assert [row[1] for row in rows] == ["2021-07"] * 10 + ["2021-08"] * 10

    nothing = portal_a.get(f"/city/{city_a.pk}/excel/template.xlsx", {"choose": "1"}, follow=True)
    assert nothing.redirect_chain[-1][0] == f"/city/{city_a.pk}/excel/"
    assert "请至少选择一个期间生成模板" in nothing.content.decode()


def filled_quarter(portal_a, city_a, *, skip: set[str] = frozenset()) -> bytes:
    """A template of the first quarter of 2021 and 2021-04, with January and February filled
    in (thousands grouped in one cell, as the pages write them), March and April left empty."""
    response = portal_a.get(
        f"/city/{city_a.pk}/excel/template.xlsx",
        {"choose": "1", "period": ["2021-01", "2021-02", "2021-03", "2021-04"]},
    )
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    for row in sheet.iter_rows(min_row=3):
        period, code = row[1].value, row[2].value
        if period in ("2021-01", "2021-02") and code not in skip:
            row[5].value = "1,200" if code == "transfer_licence_count" else 3
            if code == "pledge_amount":
                row[5].value = 12.5
    return saved(workbook)


def test_periods_left_empty_are_no_errors_and_the_preview_keeps_the_templates_order(
    portal_a, city_a
):
    preview = upload(portal_a, city_a, "一季度.xlsx", filled_quarter(portal_a, city_a))

    assert preview.status_code == 200, preview.context.get("errors")
    outcome = preview.context["outcome"]
    assert (outcome["rows"], outcome["rows_left_empty"], outcome["reports"]) == (20, 20, 2)
    changes = preview.context["preview"]
    assert [c["period"] for c in changes] == ["2021-01"] * 10 + ["2021-02"] * 10
    codes = [c["indicator"] for c in changes[:10]]
    assert codes[0] == "transfer_licence_count" and codes.index("pledge_amount") == 1
    page = preview.content.decode()
    # Counts without decimals, amounts with two.
    assert "<strong>1,200</strong>" in page and "<strong>3</strong>" in page
    assert "<strong>12.50</strong>" in page and "1,200.00" not in page
    places = {c["indicator"]: c["places"] for c in changes}
    assert places["pledge_projects"] == 0 and places["pledge_amount"] == 2
    assert "已略过 20 个未填数值的行" in page
    assert not MetricValue.objects.exists()


def test_after_a_load_the_complete_reports_are_submitted_in_one_step(portal_a, city_a):
    upload(portal_a, city_a, "一季度.xlsx", filled_quarter(portal_a, city_a))

    loaded = portal_a.post(f"/city/{city_a.pk}/excel/", {"action": "load"})

    assert loaded.status_code == 302
    assert loaded["Location"] == f"/city/{city_a.pk}/submit/?period=2021-01&period=2021-02"
    offer = portal_a.get(loaded["Location"])
    rows = offer.context["rows"]
    assert [(r.period, r.complete) for r in rows] == [("2021-01", True), ("2021-02", True)]
    assert offer.content.decode().count("checked") == 2
    assert MetricValue.objects.get(indicator__code="transfer_licence_count", number=1).value == 1200

    sent = portal_a.post(loaded["Location"], {"report": [str(r.report_id) for r in rows]})

    assert sent.status_code == 302 and sent["Location"] == f"/city/{city_a.pk}/periods/"
    assert set(Report.objects.values_list("status", flat=True)) == {"submitted"}
    periods = portal_a.get(sent["Location"]).content.decode()
    assert "已提交审核：2021-01, 2021-02" in periods


def test_an_incomplete_report_says_what_it_lacks_and_a_refused_one_is_listed(portal_a, city_a):
    upload(portal_a, city_a, "q.xlsx", filled_quarter(portal_a, city_a, skip={"pledge_amount"}))
    portal_a.post(f"/city/{city_a.pk}/excel/", {"action": "load"})
    offer = portal_a.get(f"/city/{city_a.pk}/submit/")
    rows = offer.context["rows"]
    assert [(r.period, r.missing) for r in rows] == [
        ("2021-01", ["知识产权质押融资金额（万元）"]),
        ("2021-02", ["知识产权质押融资金额（万元）"]),
    ]
    assert "缺 1 项数据：知识产权质押融资金额（万元）" in offer.content.decode()
    assert 'type="checkbox"' not in offer.content.decode()

    # Sent anyway (an old page): each refusal is listed by its period, nothing is submitted.
    refused = portal_a.post(f"/city/{city_a.pk}/submit/", {"report": [r.report_id for r in rows]})

    assert refused.status_code == 400
    assert [r["period"] for r in refused.context["refusals"]] == ["2021-01", "2021-02"]
    page = refused.content.decode()
    assert 'id="error-summary"' in page and "有 2 份报表未提交" in page
    assert "提交前须填写数值" in page
    assert set(Report.objects.values_list("status", flat=True)) == {"draft"}


def test_the_submit_page_reads_a_fixed_number_of_queries(portal_a, city_a):
    url = f"/city/{city_a.pk}/submit/"
    upload(portal_a, city_a, "q.xlsx", filled_quarter(portal_a, city_a))
    portal_a.post(f"/city/{city_a.pk}/excel/", {"action": "load"})
    portal_a.get(url)
    with CaptureQueriesContext(connection) as few:
        portal_a.get(url)
    for month in ("2021-05", "2021-06", "2021-07"):
        portal_a.post(
            f"/city/{city_a.pk}/periods/{month}/", {"action": "save", "pledge_projects": "1"}
        )
    with CaptureQueriesContext(connection) as many:
        page = portal_a.get(url)
    assert len(page.context["rows"]) == 5
    assert len(many) == len(few)


def _metrics_csv(months: range, codes: tuple[str, ...]) -> bytes:
    lines = ["city_code,period,indicator,value"]
    lines += [f"210100,2021-{m:02d},{code},3" for m in months for code in codes]
    return ("\n".join(lines) + "\n").encode()


def _upload_queries(client, participation, data: bytes) -> tuple[int, int]:
    """The queries of a file's check (the preview) and of its load."""
    with CaptureQueriesContext(connection) as check:
        assert upload(client, participation, "x.csv", data).status_code == 200
    with CaptureQueriesContext(connection) as load:
        loaded = client.post(f"/city/{participation.pk}/excel/", {"action": "load"})
    assert loaded.status_code in (200, 302)
    return len(check), len(load)


def test_an_upload_takes_the_same_queries_for_one_indicator_or_all_and_one_period_or_many(
    portal_a, city_a
):
    """A file's check and load cost the same whatever the number of indicators a period holds
    and whatever the number of periods it fills: its reports are opened and filled set-based
    (``reporting._reports_fill``)."""
    portal_a.get(f"/city/{city_a.pk}/excel/")  # the first visit records the official's language
    few = _upload_queries(portal_a, city_a, _metrics_csv(range(1, 2), INDICATORS_2020[:1]))
    assert _upload_queries(portal_a, city_a, _metrics_csv(range(2, 5), INDICATORS_2020)) == few
    assert _upload_queries(portal_a, city_a, _metrics_csv(range(5, 13), INDICATORS_2020)) == few
    assert MetricValue.objects.filter(city=city_a.city).count() == 1 + 11 * 10
    assert set(Report.objects.filter(participation=city_a).values_list("version", flat=True)) == {2}


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("沈阳.xls", bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504)),
        ("沈阳.xlsx", bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504)),
        ("notes.txt", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"),
    ],
)
def test_a_file_that_is_no_table_gets_a_message_about_the_file(portal_a, city_a, name, data):
    refused = upload(portal_a, city_a, name, data)

    assert refused.status_code == 400
    assert refused.context.get("errors") is None and refused.context["file_error"]
    page = refused.content.decode()
    assert f"无法读取文件 {name}，未保存任何数据" in page
    assert "第 1 行" not in page
    if name.endswith((".xls", ".xlsx")):
        assert "Excel 97-2003" in page and "另存为 Excel 工作簿（.xlsx）" in page
    assert not MetricValue.objects.exists()
