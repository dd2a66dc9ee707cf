"""One city, one period, one set of values: Shenyang takes part in the 2019 and the 2020 batch,
whose construction years overlap. Its figures of a period are its own whichever batch reads
them, so the period is reported once: a second report of it in the other batch is refused,
through the API, the upload, the portal and the database, and no value is lost or moved."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from evaluation.models import MetricValue, OfficialAssignment, Programme, Report
from tests.conftest import csv_bytes
from tests.factories import (
    CityFactory,
    ParticipationFactory,
    UserFactory,
    complete,
    with_the_2020_rules,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shenyang(db):
    city = CityFactory(code="210100", name_en="Shenyang", name_zh="沈阳市")
    batch_2019 = Programme.objects.get(code="2019")
    with_the_2020_rules(batch_2019)
    in_2019 = ParticipationFactory(
        programme=batch_2019,
        city=city,
        total_amount=Decimal("150000000.00"),
        first_tranche=Decimal("100000000.00"),
    )
    in_2020 = ParticipationFactory(programme=Programme.objects.get(code="2020"), city=city)
    official = UserFactory(username="li.wei")
    for participation in (in_2019, in_2020):
        OfficialAssignment.objects.create(user=official, participation=participation)
    api = APIClient()
    api.force_authenticate(official)
    return in_2019, in_2020, api


def _values(api: APIClient, report: dict, values: dict[str, str]):
    return api.put(
        f"/api/v1/reports/{report['id']}/values/",
        {"version": report["version"], "values": values},
        format="json",
    )


def test_the_same_period_cannot_be_opened_in_the_other_batch(shenyang):
    in_2019, in_2020, api = shenyang
    first = api.post("/api/v1/reports/", {"participation": in_2019.pk, "period": "2020-Q1"})
    assert first.status_code == 201

    second = api.post("/api/v1/reports/", {"participation": in_2020.pk, "period": "2020-Q1"})

    assert second.status_code == 400
    [error] = second.json()["errors"]
    assert error["field"] == "period"
    assert f"report #{first.json()['id']}" in error["reason"]
    assert "programme 2019" in error["reason"]
    assert Report.objects.count() == 1
    # Asking again in the batch that has it returns that report, as before.
    again = api.post("/api/v1/reports/", {"participation": in_2019.pk, "period": "2020-Q1"})
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]


def test_every_value_stays_in_the_one_report(shenyang):
    """The issue's walk: ten values into one batch's report, then the other batch's report of
    the same period with one value changed. Now the second report never exists, so the first
    keeps its ten values and nothing moves."""
    in_2019, in_2020, api = shenyang
    report = api.post("/api/v1/reports/", {"participation": in_2019.pk, "period": "2020-Q1"}).json()
    filled = _values(api, report, complete({}, rest="3"))
    assert filled.status_code == 200

    api.post("/api/v1/reports/", {"participation": in_2020.pk, "period": "2020-Q1"})

    stored = Report.objects.get()
    assert stored.values.count() == 10
    assert set(stored.values.values_list("value", flat=True)) == {Decimal("3")}
    assert MetricValue.objects.filter(report__isnull=True).count() == 0
    shown = api.get(f"/api/v1/reports/{report['id']}/").json()
    assert len(shown["values"]) == 10


def test_the_other_batch_shows_the_period_as_reported_where_it_is(shenyang):
    in_2019, in_2020, api = shenyang
    report = api.post("/api/v1/reports/", {"participation": in_2019.pk, "period": "2020-Q1"}).json()

    periods = api.get(f"/api/v1/participations/{in_2020.pk}/periods/").json()

    row = next(p for p in periods if p["period"] == "2020-Q1")
    assert row["report"] == report["id"] and row["status"] == "draft"
    # The year is owed by quarter in both batches, never by month in one of them.
    assert not any(p["period"].startswith("2020-0") for p in periods)


def test_the_upload_of_the_other_batch_is_refused_row_by_row(shenyang):
    in_2019, in_2020, api = shenyang
    api.post("/api/v1/reports/", {"participation": in_2019.pk, "period": "2020-Q1"})
    data = csv_bytes(
        "city_code,period,indicator,value",
        "210100,2020-Q1,pledge_projects,4",
        "210100,2020-Q2,pledge_projects,5",
    )

    refused = api.post(
        f"/api/v1/participations/{in_2020.pk}/upload/",
        {"file": SimpleUploadedFile("q.csv", data)},
        format="multipart",
    )

    assert refused.status_code == 400
    errors = refused.json()["errors"]
    assert [(e["line"], e["column"]) for e in errors] == [(2, "period")]
    assert "programme 2019" in errors[0]["reason"]
    assert Report.objects.count() == 1
    assert not MetricValue.objects.exists()


def test_the_database_holds_one_report_per_city_and_period(shenyang):
    in_2019, in_2020, api = shenyang
    api.post("/api/v1/reports/", {"participation": in_2019.pk, "period": "2020-Q1"})
    existing = Report.objects.get()

    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.create(
            participation=in_2020,
            city=in_2020.city,
            year=2020,
            granularity="quarter",
            number=1,
            due_date=existing.due_date,
        )
