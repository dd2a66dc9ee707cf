"""Benchmark: what a draft ruleset would do to a 300-city programme, and every city's forecast.

The synthetic programme of bench/run.py (300 cities x 10 indicators), reported month by month
from the baseline year 2019 to December 2021 (108,000 approved values): compared as of the
mid-term date 2021-12-31, forecast as on 2022-03-01 to the end of the construction years
(2022-12-31: every month of 2022 projected). Prints:

- the comparison itself (``evaluation.whatif.draft_compare``: read the inputs, score every city
  under both rulesets, trace each difference), best of 5, with its SQL queries;
- the comparison as the workers run it (``reports.whatif.draft_comparison_execute``: the same,
  kept as JSON), best of 3;
- with ``--worker`` and ``CELERY_BROKER_URL`` set, the whole path on a real Celery worker
  (started here): the reviewer's request through the outbox until the comparison is ready,
  then until its four documents (PDF and Excel, Chinese and English) are kept;
- the reviewers' forecast of every city (``evaluation.forecasts.programme_forecast``), best of
  3, with its SQL queries.

Not a test: run it by hand and record the figures in docs/benchmarks.md.

    .venv/bin/python bench/whatif.py                   # SQLite in a temporary file, in-process
    createdb -h localhost -U postgres ipcities_whatif_bench
    DATABASE_URL=postgres://postgres@localhost:5432/ipcities_whatif_bench \\
    CELERY_BROKER_URL=redis://localhost:6379/9 MEDIA_ROOT=/tmp/whatif-media \\
        .venv/bin/python bench/whatif.py --worker
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from run import CITIES, as_csv, setup_programme

from evaluation.forecasts import programme_forecast
from evaluation.models import Programme, Ruleset
from evaluation.services.drafts import RuleEdit, ruleset_draft_create, ruleset_draft_edit
from evaluation.services.imports import metrics_import
from evaluation.services.people import role_grant, user_create
from evaluation.whatif import draft_compare
from reports.models import DraftComparison
from reports.whatif import draft_comparison_execute, draft_comparison_request

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2021, 12, 31)
TODAY = dt.date(2022, 3, 1)


class RolledBack(Exception):
    pass


def best(label: str, work: Callable[[], Any], times: int) -> Any:
    seconds = []
    out = None
    for _ in range(times):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            out = work()
            seconds.append(time.perf_counter() - start)
    print(
        f"{label}: best {min(seconds):.3f} s of {times} (worst {max(seconds):.3f} s), "
        f"{len(queries)} SQL queries"
    )
    return out


def load(programme: Programme) -> None:
    if programme.participations.filter(city__code=f"{800000:06d}").exists() and (
        programme.participations.count() == CITIES
    ):
        from evaluation.models import MetricValue

        if MetricValue.objects.filter(
            city__code__startswith="8", year=2021, granularity="month", number=12
        ).exists():
            return
    rng = random.Random(2021)
    codes = list(
        Ruleset.objects.get(programme=programme, version=1).rules.values_list(
            "indicator__code", flat=True
        )
    )
    amounts = {"pledge_amount", "contract_turnover"}
    rows = []
    for n in range(CITIES):
        for code in codes:
            base = rng.randint(10, 500)
            for year in (2019, 2020, 2021):
                for month in range(1, 13):
                    value = base * (1 + (year - 2019) * rng.randint(5, 45) / 100)
                    value *= rng.uniform(0.7, 1.3)
                    text = f"{value:.2f}" if code in amounts else f"{round(value)}"
                    rows.append([f"{800000 + n:06d}", f"{year}-{month:02d}", code, text])
    start = time.perf_counter()
    for offset in range(0, len(rows), 20_000):
        metrics_import(
            name="whatif.csv", data=as_csv(rows[offset : offset + 20_000]), approve=True, by=None
        )
    print(f"loaded {len(rows):,} approved monthly values in {time.perf_counter() - start:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def reviewer() -> Any:
    from django.contrib.auth.models import User

    found = User.objects.filter(username="bench.reviewer").first()
    if found is None:
        found = user_create(username="bench.reviewer", password="Whatif-Desk-2021-x7", by=None)
        role_grant(user=found, role="reviewer")
    return found


def draft_of(programme: Programme, by: Any) -> Ruleset:
    """A draft that moves weight from the transfers to certification and raises a floor."""
    draft = ruleset_draft_create(programme=programme, by=by)
    ruleset_draft_edit(
        draft=draft,
        by=by,
        rules={
            "transfer_licence_count": RuleEdit("growth", Decimal("0.2"), Decimal(10)),
            "certified_entities": RuleEdit("cumulative", Decimal(250), Decimal(25)),
        },
    )
    return draft


def on_a_worker(draft: Ruleset, by: Any) -> None:
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker:
        print("--worker needs CELERY_BROKER_URL (a Redis database of your own)")
        return
    queue = f"whatif-bench-{os.getpid()}"
    env = {**os.environ, "CELERY_TASK_DEFAULT_QUEUE": queue}
    worker = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "celery"),
            "-A",
            "config",
            "worker",
            "-Q",
            queue,
            "--pool=solo",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        from config.celery import app

        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=1):
            if time.monotonic() > deadline:
                print("the worker did not start")
                return
        app.conf.task_default_queue = queue
        for attempt in range(3):
            start = time.perf_counter()
            comparison = draft_comparison_request(draft=draft, as_of=AS_OF, by=by)
            while comparison.status not in ("ready", "failed"):
                time.sleep(0.05)
                comparison.refresh_from_db()
            ready = time.perf_counter() - start
            while comparison.documents.count() < 4 and time.perf_counter() - start < 600:
                time.sleep(0.2)
            documents = time.perf_counter() - start
            print(
                f"on a real worker, attempt {attempt + 1}: request to comparison ready "
                f"{ready:.2f} s (computed in {comparison.seconds:.2f} s), to its 4 documents "
                f"kept {documents:.1f} s ({comparison.status})"
            )
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)


def main() -> None:
    print(f"database: {connection.vendor}; Python {sys.version.split()[0]}")
    programme = setup_programme()
    programme.midterm_as_of = AS_OF
    programme.save(update_fields=["midterm_as_of"])
    load(programme)
    by = reviewer()
    draft = draft_of(programme, by)

    compared = best(
        f"comparison of {CITIES} cities (draft_compare)",
        lambda: draft_compare(draft=draft, as_of=AS_OF, fetched_by=by),
        5,
    )
    changed = sum(c.changed for c in compared.cities)
    print(
        f"  {changed} cities change, {len(compared.grade_changes)} change grade; total release "
        f"{compared.total_before:,.2f} -> {compared.total_after:,.2f} yuan"
    )

    def execute() -> None:
        # Rolled back: the documents task it asks for on commit is not sent (timed apart).
        try:
            with transaction.atomic():
                comparison = DraftComparison.objects.create(
                    draft=draft, as_of=AS_OF, requested_by=by
                )
                draft_comparison_execute(comparison_id=comparison.pk)
                raise RolledBack
        except RolledBack:
            pass

    best("comparison as the worker's task runs it (computed and kept)", execute, 3)

    if "--worker" in sys.argv:
        on_a_worker(draft, by)

    forecast = best(
        f"forecast of every city ({CITIES}) as on {TODAY}",
        lambda: programme_forecast(programme=programme, fetched_by=by, today=TODAY),
        3,
    )
    at_risk = sum(1 for c in forecast.cities if c.risk > 0)
    print(f"  {at_risk} cities with a risk of falling a tier above 0")


if __name__ == "__main__":
    main()
