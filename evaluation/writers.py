"""Every spreadsheet the project writes (CSV or XLSX) goes out through here, so that it holds
data and never a formula it did not put there (OWASP's "CSV injection").

A name that starts with ``=``, ``+``, ``-`` or ``@`` (``=HYPERLINK("http://x","烟台")``) would be
run by the spreadsheet that opens the file. In a CSV file such text is written behind an
apostrophe, which Excel, LibreOffice and WPS show as text; in a workbook the cell is stored as
text (never as a formula) and marked with Excel's quote prefix, so that editing it does not turn
it into one either. Numbers are left alone: ``-3.5`` is a number, not a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell

# What spreadsheets read as the start of a formula; a leading tab or carriage return also
# makes Excel read a field as something else than its text.
FORMULA_STARTS = ("=", "+", "-", "@")
RISKY_STARTS = (*FORMULA_STARTS, "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except (InvalidOperation, ValueError):
        return False


def formula_like(text: str) -> bool:
    """Text a spreadsheet would run (or read as something other than text)."""
    return text.startswith(RISKY_STARTS) and not _is_number(text)


def safe_text(value: Any) -> Any:
    """A CSV field as data: formula-like text behind an apostrophe, anything else unchanged."""
    if isinstance(value, str) and formula_like(value):
        return "'" + value
    return value


def csv_bytes(rows: Iterable[Sequence[Any]], *, encoding: str = "utf-8") -> bytes:
    """Rows as a CSV file (``\\n`` line ends), every field neutralised."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    for row in rows:
        writer.writerow([safe_text(value) for value in row])
    return text.getvalue().encode(encoding)


def _neutralise(cell: Cell) -> None:
    if cell.data_type == "f" or (isinstance(cell.value, str) and formula_like(cell.value)):
        text = str(cell.value)
        cell.value = text
        cell.data_type = "s"
        cell.quotePrefix = True


def workbook_bytes(workbook: Workbook) -> bytes:
    """The workbook as an XLSX file, every cell holding a formula, or text that reads as one,
    stored as plain text. The project writes no formula of its own."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    _neutralise(cell)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
