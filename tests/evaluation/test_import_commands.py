"""The import commands as a person at a terminal uses them: a summary on success, every bad row
on failure, errors on standard error with a non-zero exit."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from evaluation.models import MetricValue, Participation, Programme, Target
from evaluation.models.cities import City
from tests.conftest import csv_bytes
from tests.factories import CityFactory, ParticipationFactory

pytestmark = pytest.mark.django_db


def write(tmp_path: Path, name: str, *lines: str) -> Path:
    path = tmp_path / name
    path.write_bytes(csv_bytes(*lines))
    return path


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def shenzhen(programme: Programme) -> City:
    return ParticipationFactory(programme=programme, city=CityFactory(code="440300")).city


def test_import_cities_prints_the_summary(tmp_path: Path, programme: Programme) -> None:
    path = write(
        tmp_path,
        "cities.csv",
        "code,name_en,name_zh,province",
        "440300,Shenzhen,深圳市,Guangdong",
        "340100,Hefei,合肥市,Anhui",
    )

    first = run("import_cities", str(path), "--programme", "2020")
    second = run("import_cities", str(path), "--programme", "2020")

    assert first.strip() == "cities.csv: 2 created, 0 updated, 0 unchanged."
    assert second.strip() == "cities.csv: 0 created, 0 updated, 2 unchanged."
    assert Participation.objects.filter(programme=programme).count() == 2


def test_import_targets_prints_the_summary(tmp_path: Path, shenzhen: City) -> None:
    path = write(
        tmp_path,
        "targets.csv",
        "city_code,indicator,target",
        "440300,transfer_licence_count,0.25",
        "440300,sme_transformations,150",
    )

    output = run("import_targets", str(path), "--programme", "2020")

    assert output.strip() == "targets.csv: 2 created, 0 updated, 0 unchanged."
    assert Target.objects.get(indicator__code="sme_transformations").value == Decimal("150")


def test_import_metrics_approve_records_values_approved(tmp_path: Path, shenzhen: City) -> None:
    path = write(
        tmp_path, "m.csv", "city_code,period,indicator,value", "440300,2019,pledge_amount,800.5"
    )

    output = run("import_metrics", str(path), "--approve")

    assert output.strip() == "m.csv: 1 created, 0 updated, 0 unchanged."
    assert MetricValue.objects.get().status == MetricValue.Status.APPROVED


def test_refused_file_lists_every_bad_row(tmp_path: Path, shenzhen: City) -> None:
    path = write(
        tmp_path,
        "metrics.csv",
        "city_code,period,indicator,value",
        "440300,2020-07,pledge_amount,10",
        "999999,2020-07,pledge_amount,10",
        "440300,2020-13,pledge_amount,10",
        "440300,2020-08,transfer_licence_count,1.5",
    )

    with pytest.raises(CommandError) as caught:
        run("import_metrics", str(path))

    message = str(caught.value)
    assert "metrics.csv: file refused, nothing was saved. 3 error(s)" in message
    assert "line 3, column city_code: unknown city 999999" in message
    assert "line 4, column period: '2020-13' is not a period" in message
    assert "line 5, column value: 1.5 is not a whole number" in message
    assert MetricValue.objects.count() == 0


def test_unknown_programme_is_a_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path, "cities.csv", "code,name_en,name_zh,province", "440300,S,深圳市,G")

    with pytest.raises(CommandError, match="unknown programme '2030'"):
        run("import_cities", str(path), "--programme", "2030")

    assert City.objects.count() == 0


def test_by_attributes_the_history_to_the_user(tmp_path: Path, shenzhen: City, reviewer) -> None:
    path = write(
        tmp_path, "m.csv", "city_code,period,indicator,value", "440300,2020-07,pledge_amount,10"
    )

    run("import_metrics", str(path), "--approve", "--by", "reviewer")

    value = MetricValue.objects.get()
    record = value.history.latest()
    assert record.history_user == reviewer
    assert value.approved_by == reviewer
    assert "m.csv" in record.history_change_reason


def test_by_unknown_user_is_a_clear_error(tmp_path: Path, shenzhen: City) -> None:
    path = write(
        tmp_path, "m.csv", "city_code,period,indicator,value", "440300,2020-07,pledge_amount,10"
    )

    with pytest.raises(CommandError, match="no user named 'nobody'"):
        run("import_metrics", str(path), "--by", "nobody")

    assert MetricValue.objects.count() == 0


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.csv"

    with pytest.raises(CommandError) as caught:
        run("import_metrics", str(missing))

    assert str(caught.value) == f"cannot read {missing}: No such file or directory"


def test_command_line_errors_go_to_stderr_with_non_zero_exit(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
        # A new process: the suite's English (tests/conftest.py) does not reach it.
        "DJANGO_LANGUAGE_CODE": "en",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run(
        [*manage, "migrate", "-v0"], cwd=settings.BASE_DIR, env=env, check=True, timeout=600
    )
    path = write(
        tmp_path,
        "metrics.csv",
        "city_code,period,indicator,value",
        "999999,2020-07,pledge_amount,10",
        "440300,July,pledge_amount,-1",
    )

    done = subprocess.run(
        [*manage, "import_metrics", str(path)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert done.returncode != 0
    assert done.stdout == ""
    assert "line 2, column city_code: unknown city 999999" in done.stderr
    assert "line 3, column period" in done.stderr
    assert "line 3, column value" in done.stderr
    assert "Traceback" not in done.stderr
