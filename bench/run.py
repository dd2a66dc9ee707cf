"""Benchmark: a synthetic programme of 300 cities x (baseline year + 3 years) of monthly values x
10 indicators (144,000 values). Prints import time, evaluation time, SQL query count and peak
memory, and the time of one hand-written SQL aggregate over the same rows for comparison.

Not a test: run it by hand and record the figures in docs/benchmarks.md.

    .venv/bin/python bench/run.py                      # SQLite in a temporary file
    DATABASE_URL=postgres://postgres@localhost:5432/ipcities_bench .venv/bin/python bench/run.py
"""

from __future__ import annotations

import datetime as dt
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from evaluation import scoring  # noqa: E402
from evaluation.models import (  # noqa: E402
    EvaluationRun,
    GradeBand,
    IndicatorRule,
    Participation,
    Programme,
    Ruleset,
)
from evaluation.models.cities import City  # noqa: E402
from evaluation.selectors import evaluation_inputs, programme_spec, ruleset_spec  # noqa: E402
from evaluation.services.imports import metrics_import  # noqa: E402
from evaluation.services.runs import evaluation_run_execute  # noqa: E402
from evaluation.writers import csv_bytes  # noqa: E402

CITIES = 300
YEARS = (2019, 2020, 2021, 2022)
AS_OF = dt.date(2022, 12, 31)


def setup_programme() -> Programme:
    call_command("migrate", verbosity=0)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE evaluation_metricvalue, evaluation_historicalmetricvalue CASCADE"
            )
    template = Ruleset.objects.get(programme__code="2020", version=1)
    programme, _ = Programme.objects.update_or_create(
        code="BENCH",
        defaults=dict(
            name="Synthetic benchmark programme",
            baseline_year=2019,
            construction_years=3,
            midterm_as_of=AS_OF,
            total_amount_min=Decimal("150000000"),
            total_amount_max=Decimal("150000000"),
            first_tranche_min=Decimal("100000000"),
            first_tranche_max=Decimal("100000000"),
        ),
    )
    if not programme.rulesets.exists():
        ruleset = Ruleset.objects.create(programme=programme, version=1)
        for rule in template.rules.all():
            IndicatorRule.objects.create(
                ruleset=ruleset,
                indicator=rule.indicator,
                kind=rule.kind,
                floor=rule.floor,
                weight=rule.weight,
            )
        for band in template.bands.all():
            GradeBand.objects.create(
                ruleset=ruleset,
                grade=band.grade,
                min_score=band.min_score,
                release_share=band.release_share,
            )
    for n in range(CITIES):
        city, _ = City.objects.get_or_create(
            code=f"{800000 + n:06d}",
            defaults=dict(name_en=f"Bench {n}", name_zh=f"基准{n}", province="Bench"),
        )
        Participation.objects.get_or_create(
            programme=programme,
            city=city,
            defaults=dict(total_amount=Decimal("150000000"), first_tranche=Decimal("100000000")),
        )
    return programme


def metric_rows() -> list[list[str]]:
    rng = random.Random(2020)
    codes = [
        code
        for (code,) in Ruleset.objects.get(programme__code="BENCH").rules.values_list(
            "indicator__code"
        )
    ]
    amounts = {"pledge_amount", "contract_turnover"}
    rows = []
    for n in range(CITIES):
        for code in codes:
            base = rng.randint(10, 500)
            for year in YEARS:
                for month in range(1, 13):
                    value = base * (1 + (year - 2019) * rng.randint(10, 40) / 100)
                    text = f"{value:.2f}" if code in amounts else f"{round(value)}"
                    rows.append([f"{800000 + n:06d}", f"{year}-{month:02d}", code, text])
    return rows


def as_csv(rows: list[list[str]]) -> bytes:
    return csv_bytes([["city_code", "period", "indicator", "value"], *rows])


def main() -> None:
    print(f"database: {connection.vendor}; Python {sys.version.split()[0]}")
    programme = setup_programme()
    rows = metric_rows()
    print(f"synthetic rows: {len(rows):,} ({CITIES} cities x 10 indicators x 48 months)")

    first = as_csv(rows[:10_000])
    start = time.perf_counter()
    summary = metrics_import(name="bench-10k.csv", data=first, approve=True, by=None)
    ten_k = time.perf_counter() - start
    print(f"import 10,000 rows (new): {ten_k:.2f} s  [{summary}]  target < 2 s")
    start = time.perf_counter()
    summary = metrics_import(name="bench-10k.csv", data=first, approve=True, by=None)
    print(f"import the same 10,000 rows again: {time.perf_counter() - start:.2f} s  [{summary}]")

    start = time.perf_counter()
    for offset in range(10_000, len(rows), 20_000):
        metrics_import(
            name="bench.csv", data=as_csv(rows[offset : offset + 20_000]), approve=True, by=None
        )
    print(f"import the other {len(rows) - 10_000:,} rows: {time.perf_counter() - start:.2f} s")

    if connection.vendor == "postgresql":
        # What autovacuum does shortly after a large load; without it the planner guesses 2 rows.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    ruleset = Ruleset.objects.get(programme=programme)
    spec, rules = programme_spec(programme=programme), ruleset_spec(ruleset=ruleset)

    def read() -> list[scoring.CityInput]:
        return evaluation_inputs(programme=programme, as_of=AS_OF)[0]

    def score(cities: list[scoring.CityInput]) -> None:
        # The outcome carries the input digest too (``outcome.input_digest``).
        scoring.evaluate(programme=spec, ruleset=rules, as_of=AS_OF, cities=cities)

    def full_run() -> int:
        run = EvaluationRun.objects.create(
            programme=programme, ruleset=ruleset, as_of=AS_OF, trigger="command"
        )
        with CaptureQueriesContext(connection) as queries:
            run = evaluation_run_execute(run_id=run.pk)
        assert run.status == "succeeded", run.error
        return len(queries)

    reads, scores, both = [], [], []
    for _ in range(5):
        start = time.perf_counter()
        cities = read()
        middle = time.perf_counter()
        score(cities)
        end = time.perf_counter()
        reads.append(middle - start)
        scores.append(end - middle)
        both.append(end - start)
    with CaptureQueriesContext(connection) as queries:
        read()
    (grouped,) = [
        q["sql"] for q in queries.captured_queries if "evaluation_metricvalue" in q["sql"]
    ]
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        query_count = full_run()
        runs.append(time.perf_counter() - start)
    tracemalloc.start()
    full_run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    evaluation = min(both)
    print(
        f"evaluation of {CITIES} cities, read + score + digests: best {evaluation:.3f} s of 5 "
        f"(read best {min(reads):.3f} s, score best {min(scores):.3f} s)"
    )
    print(
        f"evaluation run, also storing {CITIES} city, {CITIES * 10} indicator and {CITIES} "
        f"decision rows: best {min(runs):.3f} s of 3, {query_count} SQL queries, "
        f"peak Python memory {peak / 2**20:.1f} MiB"
    )

    sql = (
        "SELECT city_id, indicator_id, year, SUM(value), COUNT(*) FROM evaluation_metricvalue "
        "WHERE status = 'approved' AND year BETWEEN %s AND %s "
        "GROUP BY city_id, indicator_id, year"
    )
    aggregate, own = [], []
    with connection.cursor() as cursor:
        for _ in range(5):
            start = time.perf_counter()
            cursor.execute(sql, [YEARS[0], YEARS[-1]])
            groups = len(cursor.fetchall())
            aggregate.append(time.perf_counter() - start)
            # The evaluation's own grouped query (as logged, parameters inlined), no Python.
            start = time.perf_counter()
            cursor.execute(grouped)
            cursor.fetchall()
            own.append(time.perf_counter() - start)
    best = min(aggregate)
    print(f"hand-written SQL aggregate ({groups:,} groups): best {best:.3f} s of 5")
    print(
        f"the evaluation's own grouped query alone: best {min(own):.3f} s of 5 "
        f"({min(own) / best:.1f}x the aggregate)"
    )
    print(f"evaluation (read + score) / aggregate: {evaluation / best:.1f}x  target <= 2x")
    print(f"evaluation run (with storing) / aggregate: {min(runs) / best:.1f}x")
    print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
