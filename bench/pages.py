"""The officials' pages, each beside a bare Django view in the same round (not a test):

- where my city stands (the dashboard) drawn, not served from the cache (the cache is emptied
  before each request, as any save, a new day or a new official would);
- the periods page;
- the period form's save (a draft, one value changed: a POST and its redirect);
- an upload of 12 months (10 indicators each) through the Excel page: the check (preview), then
  the load.

One signed-in official, one request at a time, through Django's test client in this process on
PostgreSQL with the production-like settings of ``bench.portal_settings`` (persistent
connections; ``/bench/bare/`` renders a one-line template behind the same middleware, so it too
reads the session and the user). Each figure is the median of the round's requests; each ratio
is against the bare view's median of the same round; the table's last line is the median of the
rounds. The portal under 50 concurrent officials is ``bench/portal.py``. See
docs/benchmarks.md.

    .venv/bin/python bench/pages.py                  # 3 rounds; --rounds, --requests

``DATABASE_URL`` names the database (default: ``ipcities_bench_pages`` on the local PostgreSQL,
created when missing; the demo is loaded into it, and each round adds a city of its own for the
saves and uploads).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@localhost:5432/ipcities_bench_pages")
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.portal_settings"
os.environ.pop("CELERY_BROKER_URL", None)  # the demo's runs in this process

from bench.portal import _database  # noqa: E402

_database(dict(os.environ))

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from evaluation.models import OfficialAssignment, Participation, Programme, Report  # noqa: E402
from evaluation.models.cities import City  # noqa: E402
from tests.factories import INDICATORS_2020, ParticipationFactory  # noqa: E402

DEMO_CITY = "210100"


def _median_ms(action: Callable[[], object], requests: int) -> float:
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _client(participation: Participation) -> Client:
    user = User.objects.create_user(f"bench-{uuid.uuid4().hex[:10]}")
    OfficialAssignment.objects.create(user=user, participation=participation)
    client = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    client.get(f"/city/{participation.pk}/")  # the first visit records the language
    return client


def _expect(response, status: int) -> None:  # type: ignore[no-untyped-def]
    if response.status_code != status:
        raise SystemExit(f"{response.status_code}, not {status}: {response.content[:500]!r}")


def _fresh_city() -> Participation:
    """A city of its own (its 2022 months open) for a save or an upload that starts afresh."""
    last = City.objects.filter(code__startswith="9").order_by("-code").first()
    code = str(int(last.code) + 1) if last is not None else "900001"
    return ParticipationFactory(programme=Programme.objects.get(code="2020"), city__code=code)


def _twelve_months(city: str) -> bytes:
    lines = ["city_code,period,indicator,value"]
    lines += [f"{city},2022-{m:02d},{code},{m}" for m in range(1, 13) for code in INDICATORS_2020]
    return ("\n".join(lines) + "\n").encode()


def one_round(requests: int) -> dict[str, float]:
    demo = Participation.objects.get(programme__code="2020", city__code=DEMO_CITY)
    reader = _client(demo)
    pages = caches["pages"]
    figures = {
        "bare view": _median_ms(lambda: _expect(reader.get("/bench/bare/"), 200), requests),
    }

    def drawn() -> None:
        pages.clear()
        _expect(reader.get(f"/city/{demo.pk}/"), 200)

    figures["dashboard, drawn"] = _median_ms(drawn, requests)
    figures["periods page"] = _median_ms(
        lambda: _expect(reader.get(f"/city/{demo.pk}/periods/"), 200), requests
    )

    own = _fresh_city()
    writer = _client(own)
    url = f"/city/{own.pk}/periods/2022-01/"
    values = {code: "1" for code in INDICATORS_2020}
    _expect(writer.post(url, {"action": "save", **values}), 302)
    saves = []
    for n in range(2, requests + 2):
        version = Report.objects.get(participation=own).version
        changed = {"action": "save", "version": version, **values, "pledge_projects": str(n)}
        start = time.perf_counter()
        _expect(writer.post(url, changed), 302)
        saves.append((time.perf_counter() - start) * 1000)
    figures["entry form save (POST)"] = statistics.median(saves)

    uploads = []
    for _ in range(3):  # three uploads of 12 months, each into a city of its own
        city = _fresh_city()
        uploader = _client(city)
        upload = SimpleUploadedFile("12.csv", _twelve_months(city.city.code))
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            _expect(
                uploader.post(f"/city/{city.pk}/excel/", {"action": "check", "file": upload}),
                200,
            )
            _expect(uploader.post(f"/city/{city.pk}/excel/", {"action": "load"}), 302)
            uploads.append((time.perf_counter() - start) * 1000)
    figures["upload 12 months (check, then load)"] = statistics.median(uploads)
    figures["upload queries"] = len(queries)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=30)
    options = parser.parse_args()
    call_command("migrate", verbosity=0)
    if not Participation.objects.filter(city__code=DEMO_CITY).exists():
        call_command("demo", stdout=io.StringIO())
    rounds = []
    for n in range(options.rounds):
        figures = one_round(options.requests)
        rounds.append(figures)
        bare = figures["bare view"]
        print(f"round {n + 1}:")
        for name, ms in figures.items():
            if name == "upload queries":
                print(f"  {name:<40} {ms:>9.0f}")
            elif name == "bare view":
                print(f"  {name:<40} {ms:>9.1f} ms")
            else:
                print(f"  {name:<40} {ms:>9.1f} ms   {ms / bare:>6.1f}x the bare view")
    print("median of the rounds (ratio in each round against its bare view, then the median):")
    for name in rounds[0]:
        if name in ("bare view", "upload queries"):
            continue
        ratios = [r[name] / r["bare view"] for r in rounds]
        print(
            f"  {name:<40} {statistics.median(ratios):>6.1f}x  (rounds: "
            + ", ".join(f"{x:.1f}" for x in ratios)
            + ")"
        )


if __name__ == "__main__":
    main()
