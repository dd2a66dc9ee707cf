"""Reading the fixed file formats: the header decides which columns a row has."""

from __future__ import annotations

import pytest

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


@pytest.mark.parametrize("name", ["targets.xls", "targets.txt", "targets"])
def test_what_a_file_is_is_read_from_its_content_not_its_name(name: str) -> None:
    rows, errors = read_table(
        name, csv_bytes("city_code,indicator,target", "1,2,3"), required=REQUIRED
    )

    assert errors == [] and rows[0].values == {"city_code": "1", "indicator": "2", "target": "3"}


def test_an_old_xls_workbook_is_named_as_such() -> None:
    old_excel = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2048)

    with pytest.raises(ImportRefused) as caught:
        read_table("targets.csv", old_excel, required=REQUIRED)

    [error] = caught.value.errors
    assert error.line == 0 and "Excel 97-2003 workbook (.xls)" in error.reason
    assert "save it as an Excel workbook (.xlsx) or as CSV" in error.reason


def test_extension_is_case_insensitive() -> None:
    rows, _ = read_table(
        "TARGETS.CSV", csv_bytes("city_code,indicator,target", "1,2,3"), required=REQUIRED
    )

    assert len(rows) == 1


def test_damaged_workbook_is_refused_not_crashed() -> None:
    whole = xlsx_bytes(["city_code", "indicator", "target"], ["440300", "pledge_amount", 0.3])

    with pytest.raises(ImportRefused) as caught:
        read_table("targets.xlsx", whole[: len(whole) // 2], required=REQUIRED)

    [error] = caught.value.errors
    assert error.line == 0 and "the workbook is damaged" in error.reason


def test_header_only_file_is_refused_saying_it_holds_no_rows() -> None:
    with pytest.raises(ImportRefused) as caught:
        read_table("t.csv", csv_bytes("title", "city_code,indicator,target"), required=REQUIRED)

    [error] = caught.value.errors
    assert (error.line, error.column) == (2, None)
    assert "holds no rows" in error.reason


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


def test_excels_unicode_text_is_read_as_it_is() -> None:
    """Excel's "Unicode text": UTF-16 with a byte-order mark, fields between tabs."""
    text = "城市代码\t期间\t指标代码\t数值\r\n210100\t2021-03\tpledge_projects\t4\r\n"

    rows, errors = read_table("导出.txt", text.encode("utf-16"), required=METRICS)

    assert errors == []
    assert [(row.line, row.values["city_code"], row.values["value"]) for row in rows] == [
        (2, "210100", "4")
    ]


def test_semicolons_between_fields_are_read() -> None:
    data = csv_bytes("city_code;indicator;target", "440300;pledge_amount;0,3")

    rows, _ = read_table("t.csv", data, required=REQUIRED)

    assert rows[0].values == {"city_code": "440300", "indicator": "pledge_amount", "target": "0,3"}


def test_a_long_list_of_errors_is_cut_short_saying_how_many_more(settings) -> None:
    settings.UPLOAD_ERRORS_SHOWN = 100
    refused = ImportRefused("m.csv", [RowError(n, "value", "bad") for n in range(2, 152)])

    assert len(refused.errors) == 100 and refused.more == 50
    assert [e.line for e in refused.errors] == list(range(2, 102))
    assert (
        refused.report().splitlines()[0] == "m.csv: file refused, nothing was saved. 150 error(s):"
    )
    assert refused.report().splitlines()[-1] == "  and 50 more errors, not listed"


def test_a_file_over_the_limit_is_refused_unread() -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from evaluation.tabular import UploadLimits, upload_read

    upload = SimpleUploadedFile("big.csv", b"x" * 3000)
    limits = UploadLimits(max_bytes=2048, max_rows=10, max_unpacked=4096)

    with pytest.raises(ImportRefused) as caught:
        upload_read(upload, limits=limits)

    [error] = caught.value.errors
    assert error.line == 0 and "the file is 2.9 KB; at most 2 KB is accepted here" in error.reason
    assert upload.tell() == 0  # not a byte of it read


def test_a_bomb_whose_directory_lies_is_refused_with_flat_memory() -> None:
    """64 MB of sheet behind a directory that says 1,000 bytes: refused after unpacking a
    chunk, never holding the whole."""
    import io
    import tracemalloc
    import zipfile

    base = xlsx_bytes(["city_code", "indicator", "target"], ["440300", "pledge_amount", 0.3])
    source = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"</sheetData>", b" " * (64 << 20) + b"</sheetData>")
            archive.writestr(info.filename, content)
    data = bytearray(out.getvalue())
    name = b"xl/worksheets/sheet1.xml"
    for signature, size_at, name_at, length_at in (
        (b"PK\x03\x04", 22, 30, 26),
        (b"PK\x01\x02", 24, 46, 28),
    ):
        at = data.find(signature)
        while at >= 0:
            length = int.from_bytes(data[at + length_at : at + length_at + 2], "little")
            if bytes(data[at + name_at : at + name_at + length]) == name:
                data[at + size_at : at + size_at + 4] = (1000).to_bytes(4, "little")
            at = data.find(signature, at + 4)

    tracemalloc.start()
    try:
        with pytest.raises(ImportRefused) as caught:
            read_table("bomb.xlsx", bytes(data), required=REQUIRED)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert "unpacks to more than it says" in caught.value.errors[0].reason
    assert peak < 8 << 20, f"{peak / 2**20:.1f} MB"


def test_spaces_around_a_cell_are_dropped_and_a_control_character_inside_it_is_refused() -> None:
    # A tab, a line separator or an ideographic space around a value is only space (the row
    # is judged cell by cell once its text as read holds such a character); inside a value,
    # a tab or a line separator is a character no value may hold.
    data = csv_bytes(
        "city_code,indicator,target",
        '440300,pledge_amount,"\t0.25\u2028"',
        "440300,\u3000contract_turnover ,0.4",
        '440300,pledge_projects,"0.\t5"',
        '440300,trusteeship_smes,"0.\u20285"',
    )

    rows, errors = read_table("targets.csv", data, required=REQUIRED)

    assert rows == [
        Row(2, {"city_code": "440300", "indicator": "pledge_amount", "target": "0.25"}),
        Row(3, {"city_code": "440300", "indicator": "contract_turnover", "target": "0.4"}),
    ]
    assert [(error.line, error.column) for error in errors] == [(4, "target"), (5, "target")]
