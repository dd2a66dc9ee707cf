"""Benchmark: the documents of a 300-city run (the synthetic programme of bench/run.py, with
annual figures only: the documents read the stored results, not the values). Prints the time
and SQL queries of the ranking (page data, PDF, Excel), the dashboard, one scorecard PDF and
the ZIP of all 300 scorecards, built by the same service the Celery task calls.

Not a test: run it by hand and record the figures in docs/benchmarks.md.

    .venv/bin/python bench/documents.py                # SQLite in a temporary file
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from run import AS_OF, CITIES, as_csv, setup_programme

from evaluation.models import EvaluationRun, Ruleset
from evaluation.services.imports import metrics_import
from evaluation.services.runs import evaluation_run_execute
from reports import rendering, selectors
from reports.documents import document_build
from reports.models import Document


def timed(label: str, work: Callable[[], Any]) -> Any:
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        out = work()
        seconds = time.perf_counter() - start
    size = f", {len(out):,} bytes" if isinstance(out, bytes) else ""
    print(f"{label}: {seconds:.2f} s, {len(queries)} SQL queries{size}")
    return out


def main() -> None:
    print(f"database: {connection.vendor}; Python {sys.version.split()[0]}")
    programme = setup_programme()
    codes = list(
        Ruleset.objects.get(programme=programme).rules.values_list("indicator__code", flat=True)
    )
    rows = [
        [f"{800000 + n:06d}", str(year), code, str(100 + n + (year - 2019) * (n % 60))]
        for n in range(CITIES)
        for code in codes
        for year in (2019, 2020, 2021, 2022)
    ]
    metrics_import(name="bench-annual.csv", data=as_csv(rows), approve=True, by=None)
    ruleset = Ruleset.objects.get(programme=programme)
    run = EvaluationRun.objects.create(
        programme=programme, ruleset=ruleset, as_of=AS_OF, trigger="command"
    )
    run = evaluation_run_execute(run_id=run.pk)
    assert run.status == "succeeded", run.error
    print(f"run #{run.pk}: {CITIES} cities scored")

    with translation.override("zh-hans"):
        ranking = timed("ranking, read", lambda: selectors.ranking_get(run=run, since=None))
        timed("ranking PDF (zh-hans)", lambda: rendering.ranking_pdf(ranking))
        timed("ranking XLSX (zh-hans)", lambda: rendering.ranking_xlsx(ranking))
        reviewer, _ = User.objects.get_or_create(username="bench.reviewer")
        reviewer.groups.add(Group.objects.get(name="reviewers"))
        timed(
            "dashboard, read",
            lambda: selectors.dashboard_get(
                programme=programme, today=dt.date(2023, 1, 15), fetched_by=reviewer
            ),
        )
        one = selectors.run_results_full(run=run)[0]
        timed("one scorecard PDF (zh-hans)", lambda: rendering.scorecard_pdf(one))
    Document.objects.filter(run=run).delete()
    bundle = Document.objects.create(
        run=run, kind=Document.Kind.SCORECARDS, language="zh-hans", progress_total=CITIES
    )
    timed(
        f"all {CITIES} scorecards in one ZIP (the task's service)",
        lambda: document_build(document_id=bundle.pk),
    )
    bundle.refresh_from_db()
    print(f"  bundle: {bundle.status}, {bundle.file.size:,} bytes, sha256 {bundle.sha256[:16]}…")


if __name__ == "__main__":
    main()
