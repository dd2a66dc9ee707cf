"""An evaluation run as the fixed JSON document of interfaces.md, and as a readable table."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext

from config.db.streamed import streamed
from evaluation.models import CityResult, EvaluationRun, IndicatorResult
from evaluation.selectors import run_results
from evaluation.vocabulary import grade_word, indicator_name
from reports.figures import money
from reports.wording import decision_reason, indicator_reason

TWO = Decimal("0.01")


def _fixed(value: Decimal, places: Decimal) -> str:
    return f"{value.quantize(places):f}"


def run_document(run: EvaluationRun) -> dict[str, Any]:
    """Exactly the document of interfaces.md: every number a string of exact decimals."""
    with streamed():
        return {**_document_head(run), "cities": list(run_document_cities(run))}


def _document_head(run: EvaluationRun) -> dict[str, Any]:
    return {
        "programme": run.programme.code,
        "as_of": run.as_of.isoformat(),
        "ruleset": run.ruleset.label,
        "years_elapsed": run.years_elapsed,
    }


# Rows read a few thousand at a time (a server-side cursor on PostgreSQL): a run of any size
# is written with the memory of one batch.
BATCH = 2000
FIGURES = ("actual", "target", "attainment", "points")


def run_document_cities(run: EvaluationRun) -> Iterator[dict[str, Any]]:
    """The document's cities one by one, in city code order, read as plain rows in two
    streamed queries (no model object per result)."""
    cities = (
        CityResult.objects.filter(run=run)
        .order_by("participation__city__code")
        .values_list(
            "pk",
            "participation__city__code",
            "score",
            "grade",
            "decision__recommended_decision",
            "decision__recommended_amount",
        )
        .iterator(chunk_size=BATCH)
    )
    indicators = (
        IndicatorResult.objects.filter(city_result__run=run)
        .order_by("city_result__participation__city__code", "position")
        .values_list("city_result_id", "indicator__code", "status", "kind", "checks", *FIGURES)
        .iterator(chunk_size=BATCH)
    )
    pending = next(indicators, None)
    for pk, code, score, grade, decision, amount in cities:
        rows = []
        while pending is not None and pending[0] == pk:
            _, indicator, status, kind, checks, *values = pending
            line: dict[str, Any] = {
                "indicator": indicator,
                "status": status,
                **{
                    figure: IndicatorResult.exact_figure(kind, figure, value)
                    for figure, value in zip(FIGURES, values, strict=True)
                },
            }
            # A verified value replaced a claimed one (IndicatorResult.discrepancy's rule).
            if any(not check.get("stands", True) for check in checks or []):
                line["discrepancy"] = True
            rows.append(line)
            pending = next(indicators, None)
        yield {
            "city": code,
            "score": _fixed(score, TWO),
            "grade": grade,
            "decision": decision,
            "amount": _fixed(amount, TWO),
            "indicators": rows,
        }


def run_document_write(run: EvaluationRun, write: Callable[[str], object]) -> None:
    """Write the document as ``json.dumps(run_document(run), ensure_ascii=False, indent=2)``
    would, character for character, one city at a time."""
    head = json.dumps(_document_head(run), ensure_ascii=False, indent=2)
    write(head[: -len("\n}")] + ',\n  "cities": [')
    first = True
    with streamed():
        for city in run_document_cities(run):
            text = json.dumps(city, ensure_ascii=False, indent=2).replace("\n", "\n    ")
            write(("\n    " if first else ",\n    ") + text)
            first = False
    write("]\n}" if first else "\n  ]\n}")


def _width(text: str) -> int:
    """Columns a terminal gives ``text``: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, *, right: bool) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def run_table(run: EvaluationRun, *, details: bool = False) -> str:
    """The run's decisions as a table in the active language, each city followed by the reason
    for its decision and, with ``details``, every indicator's reason: the scoring core's stored
    reasons in English, the same figures composed in the active language otherwise
    (``reports.wording``)."""
    results = list(run_results(run=run))
    header = (
        gettext("City"),
        gettext("Name"),
        gettext("Score"),
        gettext("Grade"),
        gettext("Decision"),
        gettext("Amount (yuan)"),
    )
    rows = [
        (
            r.participation.city.code,
            indicator_name(r.participation.city),
            _fixed(r.score, TWO),
            grade_word(r.grade),
            str(r.decision.get_recommended_decision_display()),
            money(r.decision.recommended_amount),
        )
        for r in results
    ]
    widths = [max(_width(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    right = {2, 5}

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            _pad(str(cell), widths[i], right=i in right) for i, cell in enumerate(cells)
        ).rstrip()

    out = [
        gettext(
            "Programme %(programme)s, as of %(as_of)s, ruleset %(ruleset)s, %(years)s "
            "construction year(s) elapsed (run #%(run)s, %(kind)s)"
        )
        % {
            "programme": run.programme.code,
            "as_of": run.as_of.isoformat(),
            "ruleset": run.ruleset.label,
            "years": run.years_elapsed,
            "run": run.pk,
            "kind": run.get_kind_display(),
        },
        "",
        line(header),
        line(tuple("-" * w for w in widths)),
        *(line(row) for row in rows),
        "",
        gettext("Reasons:"),
    ]
    for r in results:
        city = r.participation.city
        out.append(
            "  "
            + gettext("%(code)s %(name)s: %(reason)s")
            % {"code": city.code, "name": indicator_name(city), "reason": decision_reason(r)}
        )
        if details:
            for result in r.indicator_results.all():
                out.append(
                    f"      {result.indicator.code} {indicator_name(result.indicator)} "
                    f"[{result.get_status_display()}] "
                    f"{indicator_reason(result, run=run)}"
                )
    total = sum((r.decision.recommended_amount for r in results), Decimal(0))
    out += [
        "",
        gettext("Recommended for release in all: %(total)s yuan across %(cities)s cities.")
        % {"total": money(total), "cities": len(results)},
    ]
    return "\n".join(out)
