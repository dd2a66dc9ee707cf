"""An evaluation run as the fixed JSON document of interfaces.md, and as a readable table."""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext

from evaluation.models import EvaluationRun
from evaluation.selectors import run_results
from evaluation.vocabulary import grade_word, indicator_name
from reports.figures import money
from reports.wording import decision_reason, indicator_reason

TWO = Decimal("0.01")


def _fixed(value: Decimal, places: Decimal) -> str:
    return f"{value.quantize(places):f}"


def run_document(run: EvaluationRun) -> dict[str, Any]:
    """Exactly the document of interfaces.md: every number a string of exact decimals."""
    cities = []
    for city_result in run_results(run=run):
        decision = city_result.decision
        indicators = []
        for result in city_result.indicator_results.all():
            line: dict[str, Any] = {
                "indicator": result.indicator.code,
                "status": result.status,
                "actual": result.exact("actual"),
                "target": result.exact("target"),
                "attainment": result.exact("attainment"),
                "points": result.exact("points"),
            }
            if result.discrepancy:
                line["discrepancy"] = True
            indicators.append(line)
        cities.append(
            {
                "city": city_result.participation.city.code,
                "score": _fixed(city_result.score, TWO),
                "grade": city_result.grade,
                "decision": decision.recommended_decision,
                "amount": _fixed(decision.recommended_amount, TWO),
                "indicators": indicators,
            }
        )
    return {
        "programme": run.programme.code,
        "as_of": run.as_of.isoformat(),
        "ruleset": run.ruleset.label,
        "years_elapsed": run.years_elapsed,
        "cities": cities,
    }


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
