"""The portal's load benchmark in one command (not a test): the demo data and a provisional run
on PostgreSQL, ``gunicorn -w 2`` with ``bench.portal_settings``, then locust's 50 signed-in
officials on the dashboard and on the bare view, one after the other, for several rounds.
Prints each round's requests per second, p50 and p95, and the dashboard's p95 over the bare
view's (the target is at most 1.5). See docs/benchmarks.md.

    .venv/bin/python bench/portal.py                     # 3 rounds of 45 s each
    .venv/bin/python bench/portal.py --rounds 1 --seconds 20

``DATABASE_URL`` names the database (default: ``ipcities_bench`` on the local PostgreSQL,
created when missing; its data are replaced by the demo's).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_DATABASE = "postgres://postgres@localhost:5432/ipcities_bench"
ADDRESS = "127.0.0.1:8110"


def _run(*args: str, env: dict[str, str]) -> None:
    subprocess.run(args, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def _database(env: dict[str, str]) -> None:
    url = env["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    server = url.rsplit("/", 1)[0] + "/postgres"
    exists = subprocess.run(
        ["psql", server, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(["psql", server, "-qc", f'CREATE DATABASE "{name}"'], check=True)


def _serve(env: dict[str, str]) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "-b", ADDRESS, "config.wsgi"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "bench.portal_settings"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://{ADDRESS}/", timeout=1)
            return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def _load(user_class: str, seconds: int, env: dict[str, str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        prefix = str(Path(folder) / "stats")
        subprocess.run(
            [
                str(ROOT / ".venv/bin/locust"),
                "-f",
                "bench/portal_locust.py",
                "--headless",
                "-u",
                "50",
                "-r",
                "25",
                "-t",
                f"{seconds}s",
                "-H",
                f"http://{ADDRESS}",
                "--only-summary",
                "--csv",
                prefix,
                user_class,
            ],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        with open(f"{prefix}_stats.csv", newline="") as stats:
            row = next(r for r in csv.DictReader(stats) if r["Name"] == "Aggregated")
    return {
        "requests": float(row["Request Count"]),
        "failures": float(row["Failure Count"]),
        "rps": float(row["Requests/s"]),
        "p50": float(row["50%"]),
        "p95": float(row["95%"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=45)
    args = parser.parse_args()
    env = {**os.environ, "DATABASE_URL": os.environ.get("DATABASE_URL", DEFAULT_DATABASE)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    _database(env)
    _run(PYTHON, "manage.py", "demo", env=env)
    _run(PYTHON, "manage.py", "evaluate", "--programme", "2020", "--provisional", env=env)
    server = _serve(env)
    ratios = []
    try:
        print("round  page        requests  failures   req/s    p50 ms   p95 ms")
        for number in range(1, args.rounds + 1):
            figures = {}
            for user_class, page in (("Dashboard", "dashboard"), ("Bare", "bare view")):
                figures[page] = found = _load(user_class, args.seconds, env)
                print(
                    f"{number:>5}  {page:<10} {found['requests']:>9.0f} {found['failures']:>9.0f}"
                    f" {found['rps']:>7.1f} {found['p50']:>9.0f} {found['p95']:>8.0f}"
                )
            ratio = figures["dashboard"]["p95"] / figures["bare view"]["p95"]
            ratios.append(ratio)
            print(f"       dashboard p95 / bare view p95 = {ratio:.2f}")
    finally:
        server.terminate()
        server.wait()
    print(
        f"p95 ratio over {len(ratios)} round(s): median {statistics.median(ratios):.2f}, "
        f"range {min(ratios):.2f}-{max(ratios):.2f} (target: at most 1.50)"
    )


if __name__ == "__main__":
    main()
