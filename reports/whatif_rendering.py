"""A draft comparison as documents: an A4 PDF (WeasyPrint, the Noto CJK fonts embedded) and an
Excel workbook, in the active language, from the comparison's kept figures.

The workbook is written with values only: every text goes in as text (a name or a reason that
begins with ``=`` stays words, never a formula) and every figure as a number with a number
format. (No shared safe writer exists in the project yet; this is the rule it would follow.)"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from reports import rendering
from reports.whatif import ComparisonView

MONEY_FORMAT = rendering.MONEY_FORMAT


def comparison_context(view: ComparisonView) -> dict[str, Any]:
    comparison = view.comparison
    return {
        "view": view,
        "comparison": comparison,
        "footer": _(
            "Programme %(programme)s · draft %(draft)s against %(published)s as of %(as_of)s · "
            "a what-if, not a run: nothing is decided by it"
        )
        % {
            "programme": view.programme,
            "draft": view.draft,
            "published": view.published,
            "as_of": view.as_of,
        },
    }


def comparison_pdf(view: ComparisonView) -> bytes:
    return rendering.pdf("reports/foresight/draft_comparison.html", comparison_context(view))


def _put(sheet: Worksheet, row: int, column: int, value: object, number_format: str = "") -> None:
    """One cell as a value: text stays text (a leading ``=`` is no formula), a figure a number."""
    cell = sheet.cell(row, column)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"
    else:
        cell.value = value  # type: ignore[assignment]
        if number_format:
            cell.number_format = number_format


class _Rows:
    """A sheet filled row by row with values (``_put``)."""

    def __init__(self, sheet: Worksheet) -> None:
        self.sheet = sheet
        self.row = 0

    def append(self, values: list[object], formats: dict[int, str] | None = None) -> int:
        self.row += 1
        for column, value in enumerate(values, start=1):
            if value is not None:
                _put(self.sheet, self.row, column, value, (formats or {}).get(column, ""))
        return self.row


def _score(text: str) -> Decimal | str:
    return Decimal(text) if text and text != "—" else "—"


def comparison_xlsx(view: ComparisonView) -> bytes:
    """The comparison as a workbook: its identity above the table, one row per city with its
    score, grade and amount under both rulesets and why they differ; the rule changes and the
    totals on a second sheet."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("Comparison")[:31]
    rows = _Rows(sheet)
    first = rows.append([_("What the draft ruleset would change")])
    sheet.cell(first, 1).font = Font(bold=True, size=14)
    for caption, value in (
        (_("Programme"), view.programme),
        (_("Published ruleset"), view.published),
        (_("Draft ruleset"), view.draft),
        (_("As of"), view.as_of),
    ):
        rows.append([caption, value])
    rows.append([])
    header = rows.append(
        [
            _("City code"),
            _("City"),
            _("Score (published)"),
            _("Score (draft)"),
            _("Grade (published)"),
            _("Grade (draft)"),
            _("Release (published, yuan)"),
            _("Release (draft, yuan)"),
            _("Change (yuan)"),
            _("Why"),
        ],
    )
    for cell in sheet[header]:
        cell.font = Font(bold=True)
    money = {7: MONEY_FORMAT, 8: MONEY_FORMAT, 9: MONEY_FORMAT, 3: "0.00", 4: "0.00"}
    for line in view.lines:
        rows.append(
            [
                line.code,
                line.city,
                _score(line.score_before),
                _score(line.score_after),
                line.grade_before,
                line.grade_after,
                line.amount_before,
                line.amount_after,
                line.amount_change,
                "\n".join(line.why),
            ],
            money,
        )
    sheet.freeze_panes = f"A{header + 1}"
    for column, width in enumerate((10, 22, 10, 10, 10, 10, 20, 20, 18, 80), start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width

    totals = workbook.create_sheet(_("Rules and totals")[:31])
    lines = _Rows(totals)
    lines.append([_("Rule changes")])
    for change in view.rule_changes:
        lines.append([change])
    lines.append([])
    for caption, amount in (
        (_("Total release, published ruleset (yuan)"), view.total_before),
        (_("Total release, draft ruleset (yuan)"), view.total_after),
        (_("Change (yuan)"), view.total_change),
    ):
        lines.append([caption, amount], {2: MONEY_FORMAT})
    lines.append([_("Cities changing grade"), len(view.grade_changes)])
    totals.column_dimensions["A"].width = 60
    totals.column_dimensions["B"].width = 20
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
