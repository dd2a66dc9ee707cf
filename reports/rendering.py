"""The documents as pages and files: one template per document, shown in the browser and
printed to an A4 PDF by WeasyPrint (fonts-noto-cjk for the Chinese), the ranking also as an
Excel workbook. Everything shown comes from the selectors, in the active language."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from evaluation import workflow
from evaluation.models import CityResult, EvaluationRun, TrancheDecision
from evaluation.scoring.budget import BUDGET_INDICATOR
from evaluation.vocabulary import Grade, IndicatorStatus, indicator_name
from evaluation.writers import workbook_bytes
from reports import charts, figures, selectors, wording

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"
# 10,000 yuan: exact to the fen with up to 6 decimals, at least 2 shown.
WAN_FORMAT = "#,##0.00####"
SCORE_FORMAT = "0.00"


def run_kind_label(run: EvaluationRun) -> str:
    if run.kind == EvaluationRun.Kind.PROVISIONAL:
        return _("provisional run")
    return _("official run")


def run_identity(run: EvaluationRun) -> dict[str, Any]:
    """What every document says about the run it shows."""
    return {
        "run": run,
        "kind_label": run_kind_label(run),
        "footer": _(
            "Programme %(programme)s · run #%(run)s (%(kind)s) as of %(as_of)s · "
            "ruleset %(ruleset)s · input digest %(digest)s"
        )
        % {
            "programme": run.programme.code,
            "run": run.pk,
            "kind": run_kind_label(run),
            "as_of": run.as_of.isoformat(),
            "ruleset": run.ruleset.label,
            "digest": run.input_digest[:16],
        },
    }


def unit_word(unit: str) -> str:
    """The unit amounts are written in, as a column header says it: yuan, or 10,000 yuan."""
    return _("10,000 yuan") if unit == figures.WAN else _("yuan")


# The kinds of documents in their numbers: programme, run, kind (and the city of a scorecard).
NUMBERED_KINDS = {"scorecard": "SC", "ranking": "RK", "decision_record": "DR"}


def document_number(run: EvaluationRun, kind: str, city_code: str = "") -> str:
    """A document's number, the same in every language and unit: ``2020-0002-DR``,
    ``2020-0002-SC-210100``. It names what the document shows, so the page and its PDF carry
    the same number."""
    parts = [run.programme.code, f"{run.pk:04d}", NUMBERED_KINDS[kind]]
    return "-".join([*parts, city_code] if city_code else parts)


def _person(user: Any) -> str:
    return str(user.get_full_name() or user.get_username()) if user is not None else ""


def _day(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).date().isoformat() if moment is not None else ""


def formal(
    run: EvaluationRun,
    *,
    kind: str,
    title: str,
    decisions: list[TrancheDecision],
    city_code: str = "",
    unit: str = figures.YUAN,
) -> dict[str, Any]:
    """What makes a document formal: its header (the ministries, the programme, the title, the
    date, the number) and its signature block: who reviewed the evaluation (the reviewer who
    asked for the run, or how it was started) and when, and who signed off its decisions and
    when, or empty lines to sign by hand while they await sign-off. The date is the day the
    document's content was last settled: the run's end, or its last sign-off."""
    signed = [d for d in decisions if d.status in workflow.SIGNED]
    last = max((d.decided_at for d in signed if d.decided_at), default=None)
    if run.kind == EvaluationRun.Kind.PROVISIONAL:
        signers, signed_on = _("provisional run: for information, never signed off"), ""
    else:
        names: list[str] = []
        for decision in sorted(signed, key=lambda d: d.decided_at or run.created_at):
            name = _person(decision.decided_by)
            if name and name not in names:
                names.append(name)
        complete = len(signed) == len(decisions) and bool(decisions)
        signers = _(", ").join(names)
        signed_on = _day(last) if complete else ""
    started_by = _person(run.triggered_by) or _("started from: %(trigger)s") % {
        "trigger": run.get_trigger_display()
    }
    return {
        "letterhead": {
            "ministries": _(
                "Ministry of Finance · China National Intellectual Property Administration"
            ),
            "programme": _("Key cities of the IP operation service programme, %(programme)s batch")
            % {"programme": run.programme.code},
            "title": title,
            "number": document_number(run, kind, city_code),
            "date": _day(last or run.finished_at),
            "unit": unit_word(unit),
        },
        "signatures": [
            {"role": _("Reviewed by"), "names": started_by, "date": _day(run.finished_at)},
            {"role": _("Signed off by"), "names": signers, "date": signed_on},
        ],
        "unit": unit,
        "unit_word": unit_word(unit),
    }


def _grade_label(grade: str) -> str:
    return str(Grade(grade).label) if grade in Grade.values else grade


def panel_marks(item: Any, *, named: bool) -> list[dict[str, Any]]:
    """The experts' scores a task's result was computed from, as kept with the run: each
    expert named (to reviewers) or numbered (to cities, and in the kept documents, which a
    city may read), and whether the panel counted it (the highest and lowest of five or more
    are dropped)."""
    marks = list(item.panel_marks.all())
    return [
        {
            "expert": (mark.expert.get_full_name() or mark.expert.get_username())
            if named
            else _("Expert %(n)s") % {"n": n},
            "score": f"{mark.score:.2f}",
            "counted": mark.counted,
        }
        for n, mark in enumerate(marks, start=1)
    ]


def scorecard_context(
    result: CityResult,
    *,
    pdf: bool = False,
    unit: str = figures.YUAN,
    name_experts: bool = False,
) -> dict[str, Any]:
    run = result.run
    city_name = indicator_name(result.participation.city)
    lines = [
        {
            "panel": panel_marks(item, named=name_experts and not pdf),
            "name": indicator_name(item.indicator),
            "code": item.indicator.code,
            "kind": item.get_kind_display(),
            "status": item.status,
            "status_label": item.get_status_display(),
            "target": figures.target(item),
            "full_target": figures.full_target(item),
            "target_source": item.get_target_source_display(),
            "actual": figures.actual(item),
            "attainment": figures.percent(item.attainment),
            "points": figures.number(item.points),
            "weight": figures.number(item.weight),
            "reason": wording.indicator_reason(item, run=run),
            "checks": wording.spot_checks(item),
            "deducted": figures.number(item.deducted) if item.deducted else "",
        }
        for item in result.indicator_results.all()
    ]
    decision: TrancheDecision = result.decision
    chart = charts.drawn_or_by_code(
        charts.points_against_weight,
        [
            (indicator_name(i.indicator), i.points, i.weight, i.status)
            for i in result.indicator_results.all()
        ],
        [(i.indicator.code, i.points, i.weight, i.status) for i in result.indicator_results.all()],
        title=_("Points earned against each indicator's weight"),
        points_label=_("points earned"),
        weight_label=_("weight"),
        text=pdf,
    )
    return {
        **run_identity(run),
        **formal(
            run,
            kind="scorecard",
            title=_("Scorecard of %(city)s") % {"city": city_name},
            decisions=[decision],
            city_code=result.participation.city.code,
            unit=unit,
        ),
        "result": result,
        "city_name": city_name,
        "lines": lines,
        "score": figures.number(result.score),
        "weight_total": figures.number(
            sum((i.weight for i in result.indicator_results.all()), Decimal(0))
        ),
        "grade_label": _grade_label(result.grade),
        "decision": decision,
        "decision_label": decision.get_recommended_decision_display(),
        "decision_reason": wording.decision_reason(result),
        "remaining": figures.money(decision.remaining_amount, unit),
        "recommended": figures.money(decision.recommended_amount, unit),
        "signed": decision.status in workflow.SIGNED,
        "final_amount": (
            figures.money(decision.final_amount, unit) if decision.final_amount is not None else ""
        ),
        "final_label": decision.get_final_decision_display() if decision.final_decision else "",
        "status_label": _sign_off_label(decision),
        "flagged": any(
            i.status == IndicatorStatus.NOT_ASSESSABLE for i in result.indicator_results.all()
        ),
        "chart": chart,
    }


def _budget_line(result: CityResult, run: EvaluationRun) -> dict[str, str] | None:
    """The city's budget execution in the run (a ruleset that scores the money spent), with
    its reason; None when the run's ruleset does not score it."""
    found = next(
        (i for i in result.indicator_results.all() if i.indicator.code == BUDGET_INDICATOR), None
    )
    if found is None:
        return None
    return {
        "rate": figures.actual(found),
        "points": figures.number(found.points),
        "weight": figures.number(found.weight),
        "status_label": found.get_status_display(),
        "reason": wording.indicator_reason(found, run=run),
    }


def _sign_off_label(decision: TrancheDecision) -> str:
    if decision.status in workflow.SIGNED:
        return workflow.DECISION.label(decision.status)
    if decision.city_result.run.kind == EvaluationRun.Kind.PROVISIONAL:
        return _("provisional run: for information, never signed off")
    return _("awaiting sign-off")


def ranking_context(
    ranking: selectors.Ranking, *, pdf: bool = False, unit: str = figures.YUAN
) -> dict[str, Any]:
    rows = [
        {
            "rank": row.rank,
            "code": row.result.participation.city.code,
            "city": indicator_name(row.result.participation.city),
            "score": figures.number(row.result.score),
            "grade": row.result.grade,
            "grade_label": _grade_label(row.result.grade),
            "change": "" if row.score_change is None else figures.signed(row.score_change),
            "grade_before": "" if row.grade_before is None else _grade_label(row.grade_before),
            "recommended": figures.money(row.decision.recommended_amount, unit),
            "signed": "" if row.signed_amount is None else figures.money(row.signed_amount, unit),
            "status_label": _sign_off_label(row.decision),
            "budget": _budget_line(row.result, ranking.run),
        }
        for row in ranking.rows
    ]
    grades = [(g, _grade_label(g), n) for g, n in ranking.grades]
    return {
        **run_identity(ranking.run),
        **formal(
            ranking.run,
            kind="ranking",
            title=_("Programme ranking"),
            decisions=[row.decision for row in ranking.rows],
            unit=unit,
        ),
        "ranking": ranking,
        "rows": rows,
        "with_budget": any(row["budget"] for row in rows),
        "grades": grades,
        "since": ranking.since,
        "remaining_total": figures.money(ranking.remaining_total, unit),
        "recommended_total": figures.money(ranking.recommended_total, unit),
        "signed_total": figures.money(ranking.signed_total, unit),
        "unreleased_total": figures.money(ranking.remaining_total - ranking.signed_total, unit),
        "chart": charts.grade_bars(grades, title=_("Cities per grade"), text=pdf),
    }


def decision_record_context(
    run: EvaluationRun, results: list[CityResult], *, unit: str = figures.YUAN
) -> dict[str, Any]:
    rows = []
    for result in results:
        decision = result.decision
        who = decision.decided_by
        rows.append(
            {
                "code": result.participation.city.code,
                "city": indicator_name(result.participation.city),
                "score": figures.number(result.score),
                "grade_label": _grade_label(result.grade),
                "recommended_label": decision.get_recommended_decision_display(),
                "recommended": figures.money(decision.recommended_amount, unit),
                "status_label": _sign_off_label(decision),
                "final_label": decision.get_final_decision_display(),
                "final": figures.money(decision.final_amount or Decimal(0), unit),
                "by": (who.get_full_name() or who.get_username()) if who else "",
                "at": decision.decided_at,
                "why": decision.override_reason,
                "input_digest": result.input_digest,
                "result_digest": result.result_digest,
            }
        )
    total = sum((r.decision.final_amount or Decimal(0) for r in results), Decimal(0))
    return {
        **run_identity(run),
        **formal(
            run,
            kind="decision_record",
            title=_("Decision record"),
            decisions=[r.decision for r in results],
            unit=unit,
        ),
        "rows": rows,
        "released_total": figures.money(total, unit),
        "verify_command": verify_command(run),
    }


def verify_command(run: EvaluationRun) -> str:
    """The command that checks the run, as it works from the project's directory after the
    README's install (its virtual environment's Python)."""
    return f".venv/bin/python manage.py verify_run {run.pk}"


def pdf(template: str, context: dict[str, Any], *, fonts: Any = None) -> bytes:
    """The document's template printed to an A4 PDF. ``fonts`` (a WeasyPrint
    ``FontConfiguration``) may be shared by many documents printed in a row."""
    from weasyprint import HTML

    html = render_to_string(template, {**context, "pdf": True})
    return HTML(string=html, base_url=None).write_pdf(font_config=fonts)  # type: ignore[no-any-return]


def font_configuration() -> Any:
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def scorecard_pdf(result: CityResult, *, fonts: Any = None, unit: str = figures.YUAN) -> bytes:
    return pdf(
        "reports/scorecard.html", scorecard_context(result, pdf=True, unit=unit), fonts=fonts
    )


def ranking_pdf(ranking: selectors.Ranking, *, unit: str = figures.YUAN) -> bytes:
    return pdf("reports/ranking.html", ranking_context(ranking, pdf=True, unit=unit))


def decision_record_pdf(
    run: EvaluationRun, results: list[CityResult], *, unit: str = figures.YUAN
) -> bytes:
    return pdf("reports/decision_record.html", decision_record_context(run, results, unit=unit))


def scorecards_zip(files: list[tuple[str, bytes]]) -> bytes:
    """The scorecards in one ZIP: (city code, PDF) each."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for code, content in files:
            archive.writestr(_("%(code)s-scorecard.pdf") % {"code": code}, content)
    return buffer.getvalue()


def ranking_xlsx(ranking: selectors.Ranking, *, unit: str = figures.YUAN) -> bytes:
    """The ranking as a workbook: the run's identity above the table, headers in the active
    language, every number a number cell with a number format (never text), amounts in
    ``unit`` (in 10,000 yuan exactly, shown with 2 to 6 decimals)."""
    context = ranking_context(ranking, unit=unit)
    words = {"unit": context["unit_word"]}
    money_format = MONEY_FORMAT if unit != figures.WAN else WAN_FORMAT

    def amount(value: Decimal | None) -> Decimal | None:
        return None if value is None else figures.in_unit(value, unit)

    run = ranking.run
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("Ranking")[:31]
    sheet.append([_("Programme ranking")])
    sheet["A1"].font = Font(bold=True, size=14)
    for label, value in (
        (_("Document number"), context["letterhead"]["number"]),
        (_("Programme"), run.programme.code),
        (_("Run"), f"#{run.pk} ({context['kind_label']})"),
        (_("As of"), run.as_of.isoformat()),
        (_("Ruleset version"), run.ruleset.label),
        (_("Input digest"), run.input_digest),
        (_("Result digest"), run.result_digest),
        (
            _("Compared with"),
            f"#{ranking.since.pk} ({ranking.since.as_of})" if ranking.since else "—",
        ),
    ):
        sheet.append([label, value])
    sheet.append([])
    headers = [
        _("Rank"),
        _("City code"),
        _("City"),
        _("Score"),
        _("Grade"),
        _("Change in score"),
        _("Grade in the earlier run"),
        _("Recommended release (%(unit)s)") % words,
        _("Signed-off amount (%(unit)s)") % words,
        _("Sign-off"),
    ]
    sheet.append(headers)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for row, shown in zip(ranking.rows, context["rows"], strict=True):
        sheet.append(
            [
                row.rank,
                row.result.participation.city.code,
                shown["city"],
                row.result.score,
                shown["grade_label"],
                row.score_change,
                shown["grade_before"] or None,
                amount(row.decision.recommended_amount),
                amount(row.signed_amount),
                shown["status_label"],
            ]
        )
        line = sheet.max_row
        sheet.cell(line, 4).number_format = SCORE_FORMAT
        sheet.cell(line, 6).number_format = "+0.00;-0.00;0.00"
        sheet.cell(line, 8).number_format = money_format
        sheet.cell(line, 9).number_format = money_format
    sheet.freeze_panes = f"A{header_row + 1}"
    for column, width in enumerate((6, 10, 22, 8, 12, 10, 14, 20, 20, 28), start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width

    totals = workbook.create_sheet(_("Totals")[:31])
    totals.append([_("Grade"), _("Cities")])
    for _grade, label, count in context["grades"]:
        totals.append([label, count])
    totals.append([])
    for caption, total in (
        (_("Remaining total (%(unit)s)") % words, ranking.remaining_total),
        (_("Recommended for release (%(unit)s)") % words, ranking.recommended_total),
        (_("Released as signed off (%(unit)s)") % words, ranking.signed_total),
        (_("Not released (%(unit)s)") % words, ranking.remaining_total - ranking.signed_total),
    ):
        totals.append([caption, amount(total)])
        totals.cell(totals.max_row, 2).number_format = money_format
    totals.column_dimensions["A"].width = 34
    totals.column_dimensions["B"].width = 20
    return workbook_bytes(workbook)
