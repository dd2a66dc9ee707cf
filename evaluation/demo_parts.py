"""SYNTHETIC example files of the optional parts of a ruleset, for the 11 real cities of the
2020 batch: planned spending per year, expenditure per quarter, the optional tasks each city
chose and an expert panel's scores. Every figure is made up. ``load_demo --write`` writes them
beside the demo's files as examples of the formats of interfaces.md; the demo loads none of
them (its ruleset has none of the parts): ``import_budget`` and ``import_expenditure`` load
the first two as they are, the task files need a ruleset with these tasks (``platform``,
``talent``; optional ``training``, ``fund``, ``navigation_service``) and the experts named."""

from __future__ import annotations

import csv
import io
import random
from decimal import Decimal

from evaluation.demo import CITIES

FIRST_TRANCHE = Decimal(100_000_000)
EXPERTS = ("zhou.min", "wu.hao", "zheng.li", "sun.yi", "qian.lu")
OPTIONAL = ("training", "fund", "navigation_service")


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def demo_parts_files() -> dict[str, bytes]:
    plan = [["city_code", "year", "planned"]]
    spent = [["city_code", "period", "amount", "evidence"]]
    chosen = [["city_code", "task"]]
    scores = [["city_code", "task", "expert", "score"]]
    for code, _en, _zh, _province, level in CITIES:
        rng = random.Random(int(code) + 2020)
        if code != "210100":  # Shenyang planned nothing: its first tranche counts instead
            for year, share in (
                (2020, Decimal("0.4")),
                (2021, Decimal("0.4")),
                (2022, Decimal("0.2")),
            ):
                plan.append([code, str(year), f"{FIRST_TRANCHE * share:.2f}"])
        for year in (2020, 2021):
            for quarter in range(1, 5):
                amount = FIRST_TRANCHE / 10 * min(level, Decimal("1.2"))
                amount *= Decimal(rng.randint(80, 120)) / 100
                spent.append(
                    [code, f"{year}-Q{quarter}", f"{amount:.2f}", f"voucher {year}-{quarter}"]
                )
        picked = OPTIONAL[: 1 + rng.randint(0, 2)]
        chosen += [[code, task] for task in picked]
        for task in ("platform", "talent", *picked):
            for expert in EXPERTS:
                score = min(Decimal(1), level * Decimal(rng.randint(70, 110)) / 100)
                scores.append([code, task, expert, f"{score:.2f}"])
    return {
        "synthetic-budget.csv": _csv(plan),
        "synthetic-expenditure.csv": _csv(spent),
        "synthetic-task-choices.csv": _csv(chosen),
        "synthetic-task-scores.csv": _csv(scores),
    }
