"""Reading the fixed file formats (CSV, or the first sheet of an XLSX workbook) into rows that
remember their line number, and the errors an import reports.

What officials' tools write is accepted: UTF-8 with or without a byte-order mark, GB18030/GBK
(Excel's "CSV" on Chinese Windows), a title row above the header, blank rows, numbers stored as
text, and the Chinese header names of the portal's template (``HEADER_ALIASES``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext
from openpyxl import load_workbook

from evaluation.exceptions import FileRefused, ImportRefused, RowError

__all__ = ["ImportRefused", "Row", "RowError", "read_table"]


# The first bytes of an OLE2 compound file: Excel 97-2003's .xls, whatever the file is named.
OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a CSV file would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        # 12.0 typed into a numeric cell is the whole number 12; otherwise the shortest repr.
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date):
        # Spreadsheets turn "2020-07" into 1 July 2020: read a first-of-month date back as the
        # month it came from. Any other date is left as a date and refused by the period rules.
        if value.day == 1:
            return f"{value.year:04d}-{value.month:02d}"
        return value.isoformat()[:10]
    return str(value).strip()


# Headers the portal's Excel template writes in Chinese, read as the fixed columns they stand
# for (interfaces.md's names stay the columns; these are accepted aliases of them).
HEADER_ALIASES = {
    "城市代码": "city_code",
    "期间": "period",
    "指标代码": "indicator",
    "数值": "value",
    "指标名称": "indicator_name",
    "单位": "unit",
}


def _decode(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), or else GB18030, which also reads GBK: what
    Excel on Chinese Windows saves as "CSV"."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _csv_records(data: bytes) -> Iterator[tuple[int, list[str]]]:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    for record in reader:
        yield reader.line_num, record


def _xlsx_records(data: bytes) -> Iterator[tuple[int, list[str]]]:
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for line, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield line, [_cell_text(value) for value in cells]
    finally:
        workbook.close()


def _names_a_column(cells: list[str], allowed: set[str]) -> bool:
    return any(HEADER_ALIASES.get(cell.strip(), cell.strip()) in allowed for cell in cells)


def read_table(
    name: str, data: bytes, *, required: Iterable[str], optional: Iterable[str] = ()
) -> tuple[list[Row], list[RowError]]:
    """Parse ``data`` (named ``name``: ``.csv`` or ``.xlsx``) into rows keyed by column name.

    The header is checked first: a missing, unknown or repeated column refuses the file at once
    (``ImportRefused``). Blank rows are skipped. Rows with more fields than the header come back
    as errors beside the good rows, so the caller can report them with every other bad row."""
    required = list(required)
    allowed = set(required) | set(optional)
    suffix = Path(name).suffix.lower()
    if suffix == ".xls" or data.startswith(OLE_MAGIC):
        raise FileRefused(
            name,
            gettext(
                "an Excel 97-2003 workbook (.xls) cannot be read: in Excel, save it as an Excel "
                "workbook (.xlsx), or as CSV"
            ),
            "old_excel_file",
        )
    try:
        if suffix == ".csv":
            records = list(_csv_records(data))
        elif suffix == ".xlsx":
            records = list(_xlsx_records(data))
        else:
            raise FileRefused(
                name,
                gettext("unsupported file type %(suffix)s: use .csv or .xlsx")
                % {"suffix": suffix or gettext("(none)")},
                "unsupported_file_type",
            )
    except csv.Error as exc:
        raise FileRefused(
            name, gettext("not a readable CSV file: %(why)s") % {"why": exc}, "unreadable_file"
        ) from exc
    except ImportRefused:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise FileRefused(
            name,
            gettext("not a readable XLSX workbook: %(why)s") % {"why": exc},
            "unreadable_file",
        ) from exc

    records = [(line, cells) for line, cells in records if any(cell.strip() for cell in cells)]
    if not records:
        raise FileRefused(name, gettext("the file is empty: it needs a header row"), "empty_file")

    # A title row above the header (a single filled cell, as spreadsheets have them) is
    # skipped when a header follows; a row with several cells is the header, right or wrong.
    while (
        len(records) > 1
        and sum(1 for cell in records[0][1] if cell.strip()) == 1
        and not _names_a_column(records[0][1], allowed)
    ):
        records = records[1:]
    header_line, raw_header = records[0]
    raw_header = [HEADER_ALIASES.get(cell.strip(), cell) for cell in raw_header]
    # Trailing empty cells are common in spreadsheets; they are not columns.
    while raw_header and not raw_header[-1].strip():
        raw_header.pop()
    header = [cell.strip() for cell in raw_header]
    errors: list[RowError] = []
    for position, column in enumerate(header, start=1):
        if not column:
            errors.append(RowError(header_line, f"#{position}", gettext("a column has no name")))
        elif column not in allowed:
            errors.append(
                RowError(
                    header_line,
                    column,
                    gettext("unknown column; the columns are %(columns)s")
                    % {"columns": ", ".join(sorted(allowed))},
                )
            )
        elif header.index(column) != position - 1:
            errors.append(RowError(header_line, column, gettext("the column appears twice")))
    for column in required:
        if column not in header:
            errors.append(RowError(header_line, column, gettext("required column is missing")))
    if errors:
        raise ImportRefused(name, errors)

    rows: list[Row] = []
    for line, cells in records[1:]:
        extra = [cell for cell in cells[len(header) :] if cell.strip()]
        if extra:
            errors.append(
                RowError(
                    line,
                    None,
                    gettext("%(fields)s fields, but the header has %(header)s")
                    % {"fields": len(header) + len(extra), "header": len(header)},
                )
            )
            continue
        padded = cells + [""] * (len(header) - len(cells))
        rows.append(Row(line, {column: padded[i].strip() for i, column in enumerate(header)}))
    return rows, errors
