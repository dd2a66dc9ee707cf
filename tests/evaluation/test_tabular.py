"""Reading the fixed file formats: the header decides which columns a row has."""

from __future__ import annotations

import pytest

from evaluation.exceptions import FileRefused
from evaluation.tabular import ImportRefused, Row, RowError, read_table
from tests.conftest import csv_bytes, xlsx_bytes

REQUIRED = ("city_code", "indicator", "target")


def refusal(name: str, data: bytes, **kwargs: object) -> set[tuple[int, str | None]]:
    with pytest.raises(ImportRefused) as caught:
        read_table(name, data, required=REQUIRED, **kwargs)  # type: ignore[arg-type]
    return {(error.line, error.column) for error in caught.value.errors}


def test_columns_are_found_by_name_in_any_order() -> None:
    rows, errors = read_table(
        "targets.csv",
        csv_bytes("target,city_code,indicator", "0.25,440300,pledge_amount"),
        required=REQUIRED,
    )

    assert errors == []
    assert rows == [Row(2, {"target": "0.25", "city_code": "440300", "indicator": "pledge_amount"})]


def test_unknown_column_refuses_the_file_naming_it_on_line_1() -> None:
    data = csv_bytes("city_code,indicator,target,comment", "440300,pledge_amount,0.3,ok")

    assert refusal("targets.csv", data) == {(1, "comment")}


def test_repeated_column_refuses_the_file() -> None:
    data = csv_bytes("city_code,indicator,target,target", "440300,pledge_amount,0.3,0.4")

    with pytest.raises(ImportRefused) as caught:
        read_table("targets.csv", data, required=REQUIRED)

    [error] = caught.value.errors
    assert (error.line, error.column) == (1, "target")
    assert "twice" in error.reason


def test_every_missing_required_column_is_named() -> None:
    data = csv_bytes("city_code", "440300")

    with pytest.raises(ImportRefused) as caught:
        read_table("targets.csv", data, required=REQUIRED)

    assert {(e.line, e.column) for e in caught.value.errors} == {(1, "indicator"), (1, "target")}
    assert all("missing" in e.reason for e in caught.value.errors)


def test_optional_column_may_be_present_or_absent() -> None:
    with_it, _ = read_table(
        "t.csv",
        csv_bytes("city_code,indicator,target,note", "1,2,3,4"),
        required=REQUIRED,
        optional=("note",),
    )
    without_it, _ = read_table(
        "t.csv",
        csv_bytes("city_code,indicator,target", "1,2,3"),
        required=REQUIRED,
        optional=("note",),
    )

    assert with_it[0].values["note"] == "4"
    assert "note" not in without_it[0].values


def test_blank_rows_are_skipped_and_line_numbers_stay_true_to_the_file() -> None:
    data = csv_bytes(
        "city_code,indicator,target", "", "440300,pledge_amount,0.3", ",,", "", "110105,x,1"
    )

    rows, errors = read_table("targets.csv", data, required=REQUIRED)

    assert errors == []
    assert [(row.line, row.values["city_code"]) for row in rows] == [(3, "440300"), (6, "110105")]


def test_short_row_is_padded_with_empty_values() -> None:
    rows, _ = read_table(
        "t.csv", csv_bytes("city_code,indicator,target", "440300"), required=REQUIRED
    )

    assert rows[0].values == {"city_code": "440300", "indicator": "", "target": ""}


def test_row_with_more_fields_than_the_header_is_an_error_beside_the_good_rows() -> None:
    data = csv_bytes("city_code,indicator,target", "440300,a,1,surplus", "110105,b,2")

    rows, errors = read_table("targets.csv", data, required=REQUIRED)

    assert [row.line for row in rows] == [3]
    assert [(e.line, e.column) for e in errors] == [(2, None)]
    assert "4 fields" in errors[0].reason


def test_trailing_empty_fields_are_not_extra_fields() -> None:
    data = csv_bytes("city_code,indicator,target,,", "440300,a,1,,")

    rows, errors = read_table("targets.csv", data, required=REQUIRED)

    assert errors == []
    assert rows[0].values == {"city_code": "440300", "indicator": "a", "target": "1"}


def test_xlsx_trailing_empty_header_cells_are_ignored() -> None:
    data = xlsx_bytes(
        ["city_code", "indicator", "target", None, None],
        ["440300", "pledge_amount", 0.3, None, None],
    )

    rows, errors = read_table("targets.xlsx", data, required=REQUIRED)

    assert errors == []
    assert rows == [Row(2, {"city_code": "440300", "indicator": "pledge_amount", "target": "0.3"})]


def test_xlsx_header_gap_is_a_column_without_a_name() -> None:
    data = xlsx_bytes(["city_code", None, "indicator", "target"], ["440300", "", "a", 1])

    assert refusal("targets.xlsx", data) == {(1, "#2")}


def test_xlsx_numeric_cells_read_as_the_text_a_csv_would_hold() -> None:
    data = xlsx_bytes(["city_code", "indicator", "target"], [440300, "sme_transformations", 120.0])

    rows, _ = read_table("targets.xlsx", data, required=REQUIRED)

    assert rows[0].values == {
        "city_code": "440300",
        "indicator": "sme_transformations",
        "target": "120",
    }


@pytest.mark.parametrize("name", ["targets.txt", "targets"])
def test_unsupported_file_type_is_refused(name: str) -> None:
    with pytest.raises(FileRefused) as caught:
        read_table(name, csv_bytes("city_code,indicator,target"), required=REQUIRED)

    [error] = caught.value.errors
    assert "unsupported file type" in error.reason
    assert ".csv or .xlsx" in error.reason
    assert error.code == "unsupported_file_type" and caught.value.reason == error.reason


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("targets.xls", b"anything"),
        # An Excel 97-2003 workbook renamed: recognised by its first bytes.
        ("targets.xlsx", bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504)),
    ],
)
def test_an_old_excel_workbook_is_refused_as_a_file_saying_how_to_save_it(
    name: str, data: bytes
) -> None:
    with pytest.raises(FileRefused) as caught:
        read_table(name, data, required=REQUIRED)

    assert caught.value.errors[0].code == "old_excel_file"
    assert "Excel 97-2003" in caught.value.reason and ".xlsx" in caught.value.reason


def test_an_empty_or_damaged_file_is_refused_as_a_file() -> None:
    with pytest.raises(FileRefused) as empty:
        read_table("targets.csv", b"\n\n", required=REQUIRED)
    assert empty.value.errors[0].code == "empty_file"
    with pytest.raises(FileRefused) as damaged:
        read_table("targets.xlsx", b"PK\x03\x04 not really", required=REQUIRED)
    assert damaged.value.errors[0].code == "unreadable_file"


def test_extension_is_case_insensitive() -> None:
    rows, _ = read_table(
        "TARGETS.CSV", csv_bytes("city_code,indicator,target", "1,2,3"), required=REQUIRED
    )

    assert len(rows) == 1


def test_damaged_workbook_is_refused_not_crashed() -> None:
    with pytest.raises(ImportRefused) as caught:
        read_table("targets.xlsx", b"this is not a zip file", required=REQUIRED)

    assert "not a readable XLSX workbook" in caught.value.errors[0].reason


def test_header_only_file_has_no_rows() -> None:
    rows, errors = read_table("t.csv", csv_bytes("city_code,indicator,target"), required=REQUIRED)

    assert (rows, errors) == ([], [])


def test_file_of_blank_lines_is_empty() -> None:
    with pytest.raises(ImportRefused) as caught:
        read_table("t.csv", b"\n\n,,\n", required=REQUIRED)

    assert "empty" in caught.value.errors[0].reason


def test_report_lists_every_error_by_line_and_column() -> None:
    refused = ImportRefused(
        "m.csv", [RowError(3, "value", "bad value"), RowError(2, None, "whole row")]
    )

    assert refused.report().splitlines() == [
        "m.csv: file refused, nothing was saved. 2 error(s):",
        "  line 2: whole row",
        "  line 3, column value: bad value",
    ]


METRICS = ("city_code", "period", "indicator", "value")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_what_officials_tools_write_is_read(encoding: str) -> None:
    """Excel on Chinese Windows: GBK, a title row above a Chinese header, blank rows."""
    text = (
        "沈阳市 2021年数据填报,,,\r\n"
        ",,,\r\n"
        "城市代码,期间,指标代码,数值\r\n"
        "210100,2021-03,pledge_projects,4\r\n"
        ",,,\r\n"
        "210100,2021-03,pledge_amount,120.5\r\n"
    )

    rows, errors = read_table("导出.csv", text.encode(encoding), required=METRICS)

    assert errors == []
    assert [(row.line, row.values["indicator"], row.values["value"]) for row in rows] == [
        (4, "pledge_projects", "4"),
        (6, "pledge_amount", "120.5"),
    ]


def test_numbers_stored_as_text_in_a_workbook_are_read_as_written() -> None:
    data = xlsx_bytes(
        ["210100 沈阳市"],
        ["city_code", "period", "indicator", "value"],
        ["210100", "2021-03", "pledge_projects", " 4 "],
        [210100, "2021-04", "pledge_projects", 5.0],
    )

    rows, errors = read_table("t.xlsx", data, required=METRICS)

    assert errors == []
    assert [(row.line, row.values["city_code"], row.values["value"]) for row in rows] == [
        (3, "210100", "4"),
        (4, "210100", "5"),
    ]


def test_a_header_with_a_wrong_column_is_still_refused_not_skipped_as_a_title() -> None:
    data = csv_bytes("city_code,period,indicator,amount", "210100,2021-03,pledge_projects,4")

    with pytest.raises(ImportRefused) as caught:
        read_table("m.csv", data, required=METRICS)

    assert {(e.line, e.column) for e in caught.value.errors} == {(1, "amount"), (1, "value")}
