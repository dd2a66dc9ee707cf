"""Metrics and targets as files in the formats of interfaces.md (CSV or XLSX)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from openpyxl import Workbook

from evaluation.models import MetricValue, Programme, Target
from evaluation.writers import csv_bytes, workbook_bytes


def metrics_rows(values: Iterable[MetricValue]) -> list[list[str]]:
    rows = [["city_code", "period", "indicator", "value"]]
    rows += [[v.city.code, v.period.label, v.indicator.code, f"{v.value}"] for v in values]
    return rows


def targets_rows(programme: Programme) -> list[list[str]]:
    rows = [["city_code", "indicator", "target"]]
    rows += [
        [t.participation.city.code, t.indicator.code, f"{t.value.normalize():f}"]
        for t in Target.objects.filter(participation__programme=programme)
        .select_related("participation__city", "indicator")
        .order_by("participation__city__code", "indicator__position")
    ]
    return rows


def as_file(rows: Sequence[Sequence[str]], fmt: str) -> tuple[bytes, str]:
    """The rows as ``csv`` (UTF-8) or ``xlsx`` bytes, with the content type; written as data,
    never as formulas (``evaluation.writers``)."""
    if fmt == "xlsx":
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        for row in rows:
            sheet.append(list(row))
        return (
            workbook_bytes(workbook),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    return csv_bytes(rows), "text/csv; charset=utf-8"
