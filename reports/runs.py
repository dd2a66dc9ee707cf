"""An evaluation run as the fixed JSON document of interfaces.md, and as a readable table."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from evaluation.models import EvaluationRun, IndicatorResult, RuleKind
from evaluation.selectors import run_results

TWO = Decimal("0.01")
FOUR = Decimal("0.0001")


def _fixed(value: Decimal, places: Decimal) -> str:
    return f"{value.quantize(places):f}"


def _indicator_places(result: IndicatorResult) -> Decimal:
    """Growth figures are fractions (4 decimals); cumulative ones are counts (2 decimals)."""
    return FOUR if result.kind == RuleKind.GROWTH else TWO


def run_document(run: EvaluationRun) -> dict[str, Any]:
    """Exactly the document of interfaces.md: every number a string of exact decimals."""
    cities = []
    for city_result in run_results(run=run):
        decision = city_result.decision
        indicators = []
        for result in city_result.indicator_results.all():
            places = _indicator_places(result)
            indicators.append(
                {
                    "indicator": result.indicator.code,
                    "status": result.status,
                    "actual": None if result.actual is None else _fixed(result.actual, places),
                    "target": _fixed(result.target, places),
                    "attainment": _fixed(result.attainment, FOUR),
                    "points": _fixed(result.points, TWO),
                }
            )
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


def run_table(run: EvaluationRun, *, details: bool = False) -> str:
    """The run's decisions as a table, each city followed by the reason for its decision and,
    with ``details``, every indicator's reason."""
    results = list(run_results(run=run))
    header = ("City", "Name", "Score", "Grade", "Decision", "Amount (yuan)")
    rows = [
        (
            r.participation.city.code,
            r.participation.city.name_en,
            _fixed(r.score, TWO),
            r.grade,
            r.decision.recommended_decision,
            f"{r.decision.recommended_amount:,.2f}",
        )
        for r in results
    ]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    right = {2, 5}

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            str(cell).rjust(widths[i]) if i in right else str(cell).ljust(widths[i])
            for i, cell in enumerate(cells)
        ).rstrip()

    out = [
        f"Programme {run.programme.code}, as of {run.as_of.isoformat()}, ruleset "
        f"{run.ruleset.label}, {run.years_elapsed} construction year(s) elapsed "
        f"(run #{run.pk}, {run.kind})",
        "",
        line(header),
        line(tuple("-" * w for w in widths)),
        *(line(row) for row in rows),
        "",
        "Reasons:",
    ]
    for r in results:
        out.append(f"  {r.participation.city.code} {r.participation.city.name_en}: {r.reason}")
        if details:
            for result in r.indicator_results.all():
                out.append(f"      {result.indicator.code} [{result.status}] {result.reason}")
    total = sum((r.decision.recommended_amount for r in results), Decimal(0))
    out += ["", f"Recommended for release in all: {total:,.2f} yuan across {len(results)} cities."]
    return "\n".join(out)
