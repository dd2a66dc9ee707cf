"""A dry run of every import is the service's own option: everything is checked and counted
exactly as for real, nothing is saved (no value, no report, no history row). The commands
offer it as --dry-run, the upload endpoint as ?dry_run=1, the admin as *Check*."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from evaluation.exceptions import ImportRefused
from evaluation.models import MetricValue, Participation, Report, Target
from evaluation.models.cities import City
from evaluation.services.imports import cities_import, metrics_import, targets_import
from evaluation.services.reporting import reports_upload
from tests.conftest import csv_bytes
from tests.factories import ParticipationFactory, UserFactory

pytestmark = pytest.mark.django_db

METRICS = ("city_code,period,indicator,value", "440300,2021-01,pledge_projects,4")


def nothing_saved() -> tuple[int, ...]:
    return (
        City.objects.count(),
        Participation.objects.count(),
        Target.objects.count(),
        MetricValue.objects.count(),
        Report.objects.count(),
        MetricValue.history.count(),
        Target.history.count(),
        City.history.count(),
    )


@pytest.fixture
def shenzhen(programme):
    return ParticipationFactory(programme=programme, city__code="440300")


def test_each_import_service_counts_what_it_would_change_and_saves_nothing(
    programme, shenzhen, reviewer
):
    before = nothing_saved()

    cities = cities_import(
        name="c.csv",
        data=csv_bytes("code,name_en,name_zh,province", "340100,Hefei,合肥市,Anhui"),
        programme=programme,
        by=reviewer,
        dry_run=True,
    )
    targets = targets_import(
        name="t.csv",
        data=csv_bytes("city_code,indicator,target", "440300,pledge_amount,0.35"),
        programme=programme,
        by=reviewer,
        dry_run=True,
    )
    metrics = metrics_import(
        name="m.csv", data=csv_bytes(*METRICS), approve=True, by=reviewer, dry_run=True
    )

    assert [(s.created, s.dry_run) for s in (cities, targets, metrics)] == [(1, True)] * 3
    assert nothing_saved() == before
    # The real load does what the dry run said.
    real = metrics_import(name="m.csv", data=csv_bytes(*METRICS), approve=True, by=reviewer)
    assert (real.created, real.dry_run) == (1, False)


def test_a_dry_run_refuses_a_bad_file_as_the_real_load_would(shenzhen, reviewer):
    bad = csv_bytes(METRICS[0], "440300,2021-01,pledge_projects,-4")

    with pytest.raises(ImportRefused) as dry:
        metrics_import(name="m.csv", data=bad, approve=False, by=reviewer, dry_run=True)
    with pytest.raises(ImportRefused) as real:
        metrics_import(name="m.csv", data=bad, approve=False, by=reviewer)

    assert dry.value.errors == real.value.errors


def test_the_import_commands_take_dry_run(tmp_path: Path, shenzhen):
    path = tmp_path / "m.csv"
    path.write_bytes(csv_bytes(*METRICS))
    before = nothing_saved()
    out = io.StringIO()

    call_command("import_metrics", str(path), "--approve", "--dry-run", stdout=out)

    assert out.getvalue().strip() == (
        "m.csv: dry run, nothing was saved; it would be 1 created, 0 updated, 0 unchanged."
    )
    assert nothing_saved() == before
    path.write_bytes(csv_bytes(METRICS[0], "440300,2021-01,pledge_projects,x"))
    with pytest.raises(CommandError, match="line 2, column value"):
        call_command("import_metrics", str(path), "--dry-run", stdout=io.StringIO())


def _upload(client, participation, data: bytes, query: str = "?dry_run=1"):
    return client.post(
        f"/api/v1/participations/{participation.pk}/upload/{query}",
        {"file": SimpleUploadedFile("m.csv", data)},
        format="multipart",
    )


def test_the_upload_endpoint_takes_dry_run(programme, shenzhen):
    official = UserFactory(username="li.wei")
    shenzhen.officials.create(user=official)
    other = ParticipationFactory(programme=programme, city__code="110105")
    stranger = UserFactory(username="zhang.min")
    other.officials.create(user=stranger)
    client = APIClient()
    client.force_authenticate(official)
    before = nothing_saved()

    response = _upload(client, shenzhen, csv_bytes(*METRICS))

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "rows": 1,
        "rows_left_empty": 0,
        "reports": 1,
        "reports_changed": 1,
        "periods": ["2021-01"],
        "dry_run": True,
    }
    assert nothing_saved() == before
    refused = _upload(client, shenzhen, csv_bytes(METRICS[0], "440300,2021-01,pledge_projects,-1"))
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["line"] == 2
    # Another city's official and a signed-out visitor learn nothing, change nothing.
    someone_else = APIClient()
    someone_else.force_authenticate(stranger)
    assert _upload(someone_else, shenzhen, csv_bytes(*METRICS)).status_code == 404
    assert _upload(APIClient(), shenzhen, csv_bytes(*METRICS)).status_code in (401, 403)
    assert nothing_saved() == before
    # Without the flag the same file is saved.
    assert _upload(client, shenzhen, csv_bytes(*METRICS), query="").status_code == 200
    assert MetricValue.objects.count() == 1


def test_the_upload_service_dry_run_leaves_no_report(shenzhen):
    official = UserFactory(username="li.wei")
    shenzhen.officials.create(user=official)

    outcome = reports_upload(
        participation=shenzhen, name="m.csv", data=csv_bytes(*METRICS), by=official, dry_run=True
    )

    assert outcome["dry_run"] is True and outcome["reports_changed"] == 1
    assert not Report.objects.exists() and not Report.history.exists()
