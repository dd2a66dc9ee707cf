"""The Excel template an official downloads, fills in and uploads back.

Its first sheet is a metrics file of interfaces.md (with a title row above the header, the
header in the official's language, and two columns for the reader: the indicator's name and
unit); the reader (``evaluation.tabular``) takes it back as it is. A second sheet explains the
columns. The value cells carry Excel's own number validation: a decimal ≥ 0 for amounts, a
whole number ≥ 0 for counts.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from evaluation import vocabulary
from evaluation.models import Indicator, MetricValue, Participation
from evaluation.scoring import Period
from evaluation.writers import workbook_bytes

# The fixed columns, and the Chinese names the reader accepts for them (tabular.HEADER_ALIASES).
COLUMNS = ("city_code", "period", "indicator", "indicator_name", "unit", "value")
CHINESE = {
    "city_code": "城市代码",
    "period": "期间",
    "indicator": "指标代码",
    "indicator_name": "指标名称",
    "unit": "单位",
    "value": "数值",
}


def _header(chinese: bool) -> list[str]:
    return [CHINESE[c] if chinese else c for c in COLUMNS]


def template_workbook(
    *,
    participation: Participation,
    periods: Sequence[Period],
    indicators: Sequence[Indicator],
    values: dict[tuple[Period, int], MetricValue],
    chinese: bool,
) -> bytes:
    city = participation.city
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("Figures")
    sheet.append(
        [
            _("%(city)s (%(code)s): figures to report, programme %(programme)s")
            % {
                "city": vocabulary.indicator_name(city),
                "code": city.code,
                "programme": participation.programme.code,
            }
        ]
    )
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(_header(chinese))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    whole = DataValidation(
        type="whole",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("Not a whole number"),
        error=_("Counts are whole numbers, 0 or more."),
    )
    decimal = DataValidation(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("Not a valid amount"),
        error=_("Amounts are numbers of 0 or more, in 10,000 yuan, with at most 2 decimals."),
    )
    sheet.add_data_validation(whole)
    sheet.add_data_validation(decimal)
    line = 2
    for period in periods:
        for indicator in indicators:
            existing = values.get((period, indicator.pk))
            if existing is not None and existing.status == MetricValue.Status.APPROVED:
                continue  # approved figures change only through a reviewer
            line += 1
            sheet.append(
                [
                    city.code,
                    period.label,
                    indicator.code,
                    vocabulary.indicator_name(indicator),
                    vocabulary.indicator_unit(indicator),
                    existing.value if existing is not None else None,
                ]
            )
            # Text cells, so that Excel keeps "2021-07" and "110105" as written.
            sheet.cell(line, 1).number_format = "@"
            sheet.cell(line, 2).number_format = "@"
            (whole if indicator.decimal_places == 0 else decimal).add(f"F{line}")
            if indicator.decimal_places:
                sheet.cell(line, 6).number_format = "0.00"
    for column, width in zip("ABCDEF", (10, 10, 26, 40, 10, 14), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A3"

    notes = workbook.create_sheet(_("Explanation"))
    notes.append([_("Column"), _("Meaning")])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    explanations = {
        "city_code": _("The city's 6-digit administrative division code. Do not change it."),
        "period": _("The period: a year (2019), a quarter (2021-Q3) or a month (2021-07)."),
        "indicator": _("The indicator's code. Do not change it."),
        "indicator_name": _("The indicator's name, for you to read; it is not loaded."),
        "unit": _("The unit of the value (万元 is 10,000 yuan), for you to read."),
        "value": _(
            "The figure of the period: 0 or more; counts are whole numbers, amounts have at "
            "most 2 decimals, thousands may be grouped (1,200); write 0 for none. A row left "
            "without a value is passed over: leave empty what you do not report now."
        ),
    }
    for column in COLUMNS:
        notes.append([CHINESE[column] if chinese else column, explanations[column]])
    notes.append([])
    notes.append(
        [
            _("Loading"),
            _(
                "Upload the file on the portal's Excel page: you first see what would change and "
                "every bad row; nothing is saved until you confirm, and then all rows or none. "
                "The figures go into the periods' draft reports; the portal then offers to "
                "submit the complete ones in one step. You may also save the sheet as CSV "
                "(UTF-8 or GBK)."
            ),
        ]
    )
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["B"].width = 100
    return workbook_bytes(workbook)
