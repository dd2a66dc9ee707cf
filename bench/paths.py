"""Benchmark of the slow paths, each beside its baseline in the same round (median of rounds):

- the whole run on real Celery workers (PostgreSQL, Redis) against one SQL aggregate over the
  same rows, for a growing number of cities and 1 or 2 worker processes;
- ``manage.py evaluate --json``: the caller's peak memory and the time to write the document
  once the run is done;
- the import of 144,000 rows (300 cities x 10 indicators x 48 months) as CSV and XLSX against
  PostgreSQL's COPY of the same rows into a bare table, and the same file imported again.

Not a test: run it by hand and record the figures in docs/benchmarks.md.

    createdb -h localhost -U postgres ip_bench_paths
    DATABASE_URL=postgres://postgres@localhost:5432/ip_bench_paths \\
    CELERY_BROKER_URL=redis://localhost:6379/5 \\
        .venv/bin/python bench/paths.py --growth 100 300 1000 3000 --workers 1 2 --rounds 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
QUEUE = f"bench-{uuid.uuid4().hex[:6]}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["CELERY_TASK_DEFAULT_QUEUE"] = QUEUE
if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get(
    "CELERY_BROKER_URL"
):
    sys.exit("set DATABASE_URL=postgres://... and CELERY_BROKER_URL=redis://... (see the top)")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from evaluation.models import (  # noqa: E402
    EvaluationRun,
    GradeBand,
    IndicatorRule,
    Participation,
    Programme,
    Ruleset,
)
from evaluation.models.cities import City  # noqa: E402
from evaluation.services.imports import metrics_import  # noqa: E402
from evaluation.services.runs import evaluation_run_request  # noqa: E402
from evaluation.writers import csv_bytes  # noqa: E402

YEARS = (2019, 2020, 2021, 2022)
AS_OF = dt.date(2022, 12, 31)
IMPORT_CITIES = 300


def code(n: int) -> str:
    return f"{700000 + n:06d}"


def programme_of(cities: int) -> Programme:
    template = Ruleset.objects.get(programme__code="2020", version=1)
    programme, created = Programme.objects.get_or_create(
        code=f"P{cities}",
        defaults=dict(
            name=f"Benchmark programme of {cities} cities",
            baseline_year=2019,
            construction_years=3,
            midterm_as_of=AS_OF,
            total_amount_min=Decimal("150000000"),
            total_amount_max=Decimal("150000000"),
            first_tranche_min=Decimal("100000000"),
            first_tranche_max=Decimal("100000000"),
        ),
    )
    if created:
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
        ids = dict(
            City.objects.filter(code__in=[code(n) for n in range(cities)]).values_list("code", "pk")
        )
        Participation.objects.bulk_create(
            Participation(
                programme=programme,
                city_id=ids[code(n)],
                total_amount=Decimal("150000000"),
                first_tranche=Decimal("100000000"),
            )
            for n in range(cities)
        )
    return programme


def indicator_codes() -> list[tuple[str, int]]:
    return list(
        Ruleset.objects.get(programme__code="2020", version=1)
        .rules.order_by("indicator__position")
        .values_list("indicator__code", "indicator_id")
    )


def rows_of(first: int, last: int) -> list[list[str]]:
    """The values of cities ``first``..``last - 1``, always the same for a city."""
    amounts = {"pledge_amount", "contract_turnover"}
    rows = []
    for n in range(first, last):
        rng = random.Random(n)
        for indicator, _ in indicator_codes_cached:
            base = rng.randint(10, 500)
            for year in YEARS:
                for month in range(1, 13):
                    value = base * (1 + (year - 2019) * rng.randint(10, 40) / 100)
                    text = f"{value:.2f}" if indicator in amounts else f"{round(value)}"
                    rows.append([code(n), f"{year}-{month:02d}", indicator, text])
    return rows


indicator_codes_cached: list[tuple[str, int]] = []


def setup(cities: int) -> None:
    call_command("migrate", verbosity=0)
    indicator_codes_cached[:] = indicator_codes()
    City.objects.bulk_create(
        [
            City(code=code(n), name_en=f"Bench {n}", name_zh=f"基准{n}", province="Bench")
            for n in range(cities)
        ],
        ignore_conflicts=True,
    )


def fill_values(first: int, last: int) -> None:
    """Approved monthly values of cities ``first``..``last - 1`` made by the database itself
    in one statement (the run's input; the import is measured on its own)."""
    ids = [
        pk
        for (pk,) in City.objects.filter(
            code__in=[code(n) for n in range(first, last)]
        ).values_list("pk")
    ]
    indicators = [pk for _, pk in indicator_codes_cached]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO evaluation_metricvalue
                (city_id, indicator_id, year, granularity, number, value, status, flags,
                 submitted_at, approved_at)
            SELECT c, i, y, 'month', m,
                   round((mod(c * 7919 + i * 104729, 490) + 10)
                         * (1 + (y - 2019) * (mod(c + i + y, 31) + 10) / 100.0)),
                   'approved', '[]'::jsonb, now(), now()
            FROM unnest(%s::int[]) c, unnest(%s::int[]) i,
                 generate_series(2019, 2022) y, generate_series(1, 12) m
            """,
            [ids, indicators],
        )


def truncate_values() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE evaluation_metricvalue, evaluation_historicalmetricvalue CASCADE")


def timed(action) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def median(values: list[float]) -> float:
    return statistics.median(values)


# --- the import ---------------------------------------------------------------------------


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["city_code", "period", "indicator", "value"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def copy_baseline(data: bytes) -> float:
    """PostgreSQL COPY of the same CSV into a bare table of its four columns."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS bench_copy "
            "(city_code text, period text, indicator text, value numeric(16, 2))"
        )
        cursor.execute("TRUNCATE bench_copy")
        start = time.perf_counter()
        with cursor.cursor.copy(
            "COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)"
        ) as copy:
            copy.write(data)
        return time.perf_counter() - start


def bench_import(rounds: int, with_xlsx: bool) -> None:
    rows = rows_of(0, IMPORT_CITIES)
    data = csv_bytes([["city_code", "period", "indicator", "value"], *rows])
    book = xlsx_bytes(rows) if with_xlsx else b""
    print(f"\n== import of {len(rows):,} rows ({IMPORT_CITIES} cities x 10 indicators x 48 months)")
    # A corrected file: every value one more than the first one's.
    corrected = csv_bytes(
        [["city_code", "period", "indicator", "value"]]
        + [[c, p, i, str(Decimal(v) + 1)] for c, p, i, v in rows]
    )
    fresh, again, fixed, xlsx, copies = [], [], [], [], []
    for number in range(1, rounds + 1):
        truncate_values()
        copies.append(copy_baseline(data))
        fresh.append(timed(lambda: metrics_import(name="b.csv", data=data, approve=True, by=None)))
        again.append(timed(lambda: metrics_import(name="b.csv", data=data, approve=True, by=None)))
        fixed.append(
            timed(lambda: metrics_import(name="c.csv", data=corrected, approve=True, by=None))
        )
        if with_xlsx:
            truncate_values()
            xlsx.append(
                timed(lambda: metrics_import(name="b.xlsx", data=book, approve=True, by=None))
            )
        print(
            f"round {number}: COPY {copies[-1]:.3f} s; CSV {fresh[-1]:.2f} s "
            f"({fresh[-1] / copies[-1]:.0f}x); again {again[-1]:.2f} s "
            f"({again[-1] / fresh[-1]:.0%} of fresh); every value corrected {fixed[-1]:.2f} s"
            + (f"; XLSX {xlsx[-1]:.2f} s ({xlsx[-1] / copies[-1]:.0f}x)" if xlsx else ""),
            flush=True,
        )
    ratios = [f / c for f, c in zip(fresh, copies, strict=True)]
    print(
        f"median: COPY {median(copies):.3f} s, CSV {median(fresh):.2f} s, ratio "
        f"{median(ratios):.0f}x (target <= 20x); again "
        f"{median([a / f for a, f in zip(again, fresh, strict=True)]):.0%} of fresh "
        "(target <= 10%)"
    )
    if xlsx:
        print(
            f"median XLSX {median(xlsx):.2f} s, ratio "
            f"{median([x / c for x, c in zip(xlsx, copies, strict=True)]):.0f}x (target <= 40x)"
        )


# --- the run on real workers --------------------------------------------------------------


def start_workers(count: int, log: Path) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "EVALUATION_WORKERS": str(count)}
    workers = []
    for n in range(count):
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--pool=solo",
                    "--loglevel=WARNING",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-Q",
                    QUEUE,
                    "-n",
                    f"{QUEUE}-{n}@%h",
                ],
                cwd=ROOT,
                env=env,
                stdout=log.open("ab"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    time.sleep(8)  # ready, and the first task's imports done by a warm-up run
    return workers


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def aggregate(programme: Programme) -> float:
    sql = (
        "SELECT v.city_id, v.indicator_id, v.year, SUM(v.value), COUNT(*) "
        "FROM evaluation_metricvalue v JOIN evaluation_participation p ON p.city_id = v.city_id "
        "WHERE p.programme_id = %s AND v.status = 'approved' AND v.year BETWEEN %s AND %s "
        "GROUP BY v.city_id, v.indicator_id, v.year"
    )
    with connection.cursor() as cursor:
        start = time.perf_counter()
        cursor.execute(sql, [programme.pk, YEARS[0], YEARS[-1]])
        cursor.fetchall()
        return time.perf_counter() - start


def whole_run(programme: Programme) -> tuple[float, int]:
    start = time.perf_counter()
    run = evaluation_run_request(programme=programme, trigger="command", by=None)
    while True:
        status = EvaluationRun.objects.filter(pk=run.pk).values_list("status", flat=True).get()
        if status in ("succeeded", "failed"):
            break
        time.sleep(0.005)
    took = time.perf_counter() - start
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    return took, run.chunks.count()


def bench_runs(growth: list[int], workers: list[int], rounds: int) -> None:
    log = Path("/tmp") / f"{QUEUE}.log"
    print(f"\n== whole run on real workers (log {log})")
    print(
        "| cities | workers | chunks | run (median) | aggregate (median) "
        "| ratio (median of rounds) | rounds |"
    )
    print("|---|---|---|---|---|---|---|")
    for count in workers:
        processes = start_workers(count, log)
        try:
            whole_run(programme_of(min(growth)))  # warm-up: imports, connections
            for cities in growth:
                programme = programme_of(cities)
                runs, aggregates, ratios, chunks = [], [], [], 0
                for _ in range(rounds):
                    aggregates.append(min(aggregate(programme) for _ in range(3)))
                    took, chunks = whole_run(programme)
                    runs.append(took)
                    ratios.append(took / aggregates[-1])
                print(
                    f"| {cities:,} | {count} | {chunks} | {median(runs):.2f} s | "
                    f"{median(aggregates):.3f} s | **{median(ratios):.1f}x** | "
                    + ", ".join(f"{r:.1f}x" for r in ratios)
                    + " |",
                    flush=True,
                )
        finally:
            stop_workers(processes)


def bench_json(cities: list[int]) -> None:
    """``evaluate --json`` in a process of its own (the run in-process: the document's cost
    alone), its peak memory and the time to write the document."""
    print("\n== evaluate --json, the caller")
    code = (
        "import os, sys, time; sys.path.insert(0, ROOT);"
        "os.environ['CELERY_BROKER_URL'] = '';"
        "import django; django.setup();"
        "from django.core.management import call_command;"
        "from evaluation.models import EvaluationRun;"
        "from reports.runs import run_document_write;"
        "run = EvaluationRun.objects.filter(programme__code=sys.argv[1], status='succeeded')"
        ".select_related('programme', 'ruleset__programme').latest('pk');"
        "out = open(os.devnull, 'w'); start = time.perf_counter();"
        "run_document_write(run, out.write);"
        # The process's own peak (VmHWM, in kB): getrusage's would keep the peak of the
        # benchmark's process it was started from, which an import has grown.
        "peak = next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM'));"
        "print(time.perf_counter() - start, peak)"
    ).replace("ROOT", repr(str(ROOT)))
    figures = {}
    for count in cities:
        done = subprocess.run(
            [sys.executable, "-c", code, f"P{count}"],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        took, rss = done.stdout.split()
        figures[count] = (float(took), int(rss) / 1024)
        print(
            f"{count:,} cities: document written in {float(took):.2f} s, "
            f"caller peak RSS {int(rss) / 1024:.0f} MiB"
        )
    if len(figures) > 1:
        low, high = min(figures), max(figures)
        print(f"growth: {(figures[high][1] - figures[low][1]) / (high - low):.4f} MiB per city")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--growth", type=int, nargs="+", default=[100, 300, 1000, 3000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--import-only", action="store_true")
    parser.add_argument("--xlsx", action="store_true", help="also import the XLSX")
    options = parser.parse_args()
    largest = max(options.growth)
    print(f"database: {connection.vendor}; Python {sys.version.split()[0]}; {os.cpu_count()} CPUs")
    setup(max(largest, IMPORT_CITIES))
    if not options.skip_import:
        bench_import(options.rounds, options.xlsx)
    if options.import_only:
        return
    truncate_values()
    start = time.perf_counter()
    fill_values(0, largest)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE evaluation_metricvalue")
    print(flush=True)
    print(f"{largest * 480:,} approved values filled in {time.perf_counter() - start:.1f} s")
    for cities in options.growth:
        programme_of(cities)
    bench_runs(sorted(options.growth), options.workers, options.rounds)
    bench_json(sorted(options.growth))


if __name__ == "__main__":
    main()
