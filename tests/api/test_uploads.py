"""Filling a city's draft reports from a metrics file (CSV or XLSX): all or nothing, every bad
row named, and harmless to repeat."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from evaluation.models import MetricValue, Report
from tests.conftest import csv_bytes, xlsx_bytes
from tests.factories import INDICATORS_2020

pytestmark = pytest.mark.django_db

HEADER = "city_code,period,indicator,value"
GOOD_ROWS = [
    "440300,2021-01,pledge_projects,4",
    "440300,2021-01,pledge_amount,1234.50",
    "440300,2021-02,pledge_projects,5",
    "440300,2021-02,sme_transformations,12",
]


def upload(client, participation, name: str, data: bytes):
    return client.post(
        f"/api/v1/participations/{participation.pk}/upload/",
        {"file": SimpleUploadedFile(name, data)},
        format="multipart",
    )


def stored(participation) -> dict[tuple[str, str], tuple[Decimal, str, str]]:
    """(period, indicator) -> (value, value status, report status) as the database holds them."""
    return {
        (str(v.period), v.indicator.code): (v.value, v.status, v.report.status)
        for v in MetricValue.objects.filter(city=participation.city).select_related(
            "indicator", "report"
        )
    }


EXPECTED = {
    ("2021-01", "pledge_projects"): (Decimal("4"), "draft", "draft"),
    ("2021-01", "pledge_amount"): (Decimal("1234.50"), "draft", "draft"),
    ("2021-02", "pledge_projects"): (Decimal("5"), "draft", "draft"),
    ("2021-02", "sme_transformations"): (Decimal("12"), "draft", "draft"),
}


def test_a_csv_fills_a_draft_report_for_each_period(api_a, city_a):
    response = upload(api_a, city_a, "metrics.csv", csv_bytes(HEADER, *GOOD_ROWS))

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "rows": 4,
        "rows_left_empty": 0,
        "reports": 2,
        "reports_changed": 2,
        "periods": ["2021-01", "2021-02"],
    }
    assert stored(city_a) == EXPECTED
    reports = api_a.get("/api/v1/reports/").json()["results"]
    assert [(r["period"], r["status"], len(r["values"])) for r in reports] == [
        ("2021-01", "draft", 2),
        ("2021-02", "draft", 2),
    ]


def test_an_xlsx_fills_the_same_draft_reports(api_a, city_a):
    rows = [line.split(",") for line in GOOD_ROWS]
    data = xlsx_bytes(HEADER.split(","), *[[c, p, i, float(v)] for c, p, i, v in rows])

    response = upload(api_a, city_a, "metrics.xlsx", data)

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "rows": 4,
        "rows_left_empty": 0,
        "reports": 2,
        "reports_changed": 2,
        "periods": ["2021-01", "2021-02"],
    }
    assert stored(city_a) == EXPECTED


def test_rows_left_without_a_value_are_passed_over_not_refused(api_a, city_a):
    """The template lists every period and indicator: the rows the official left empty (a
    period not reported now) are no errors; a value that is there is still checked."""
    left = [
        "440300,2021-03,pledge_projects,",
        "440300,2021-03,pledge_amount,  ",
        "440300,2021-04,sme_transformations,",
    ]
    response = upload(api_a, city_a, "metrics.csv", csv_bytes(HEADER, *GOOD_ROWS, *left))

    assert response.status_code == 200, response.json()
    assert response.json()["rows_left_empty"] == 3
    assert response.json()["periods"] == ["2021-01", "2021-02"]
    assert stored(city_a) == EXPECTED
    assert not Report.objects.filter(number__in=[3, 4]).exists()

    # Only empty rows, even one naming an unknown indicator: nothing to load, nothing wrong.
    empty = upload(api_a, city_a, "metrics.csv", csv_bytes(HEADER, *left, "440300,2021-03,x,"))
    assert empty.status_code == 200 and empty.json()["rows"] == 0


def test_uploading_the_same_file_again_changes_nothing(api_a, city_a):
    data = csv_bytes(HEADER, *GOOD_ROWS)
    assert upload(api_a, city_a, "metrics.csv", data).status_code == 200
    versions = dict(Report.objects.values_list("pk", "version"))

    again = upload(api_a, city_a, "metrics.csv", data)

    assert again.status_code == 200, again.json()
    assert again.json() == {
        "rows": 4,
        "rows_left_empty": 0,
        "reports": 2,
        "reports_changed": 0,
        "periods": ["2021-01", "2021-02"],
    }
    assert dict(Report.objects.values_list("pk", "version")) == versions
    assert stored(city_a) == EXPECTED


def test_an_upload_updates_an_existing_draft_and_opens_missing_periods(api_a, city_a):
    upload(api_a, city_a, "metrics.csv", csv_bytes(HEADER, GOOD_ROWS[0]))

    response = upload(api_a, city_a, "metrics.csv", csv_bytes(HEADER, *GOOD_ROWS[1:]))

    assert response.json() == {
        "rows": 3,
        "rows_left_empty": 0,
        "reports": 2,
        "reports_changed": 2,
        "periods": ["2021-01", "2021-02"],
    }
    assert stored(city_a) == EXPECTED


def test_a_bad_file_names_every_bad_row_and_saves_nothing(api_a, city_a):
    data = csv_bytes(
        HEADER,
        "440300,2021-01,pledge_projects,4",
        "440300,2021-01,pledge_amount,lots",
        "440300,2021-13,pledge_projects,5",
        "440300,2021-02,no_such_indicator,5",
        "440300,2021-02,pledge_projects,2.5",
        "440300,2021-02,sme_transformations,-1",
    )

    response = upload(api_a, city_a, "metrics.csv", data)

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["line"], e["column"]) for e in errors] == [
        (3, "value"),
        (4, "period"),
        (5, "indicator"),
        (6, "value"),
        (7, "value"),
    ]
    assert all(
        set(e) == {"line", "column", "code", "reason"} and e["reason"] and e["code"] for e in errors
    )
    assert "'lots' is not a number" in errors[0]["reason"]
    assert "not a whole number" in errors[3]["reason"]
    assert "negative" in errors[4]["reason"]
    assert not Report.objects.exists()
    assert not MetricValue.objects.exists()


def test_a_bad_xlsx_names_its_rows_too(api_a, city_a):
    data = xlsx_bytes(
        HEADER.split(","),
        ["440300", "2021-01", "pledge_projects", 4],
        ["440300", "2021-01", "pledge_amount", "n/a"],
    )

    response = upload(api_a, city_a, "metrics.xlsx", data)

    assert response.status_code == 400
    assert [(e["line"], e["column"]) for e in response.json()["errors"]] == [(3, "value")]
    assert not MetricValue.objects.exists()


def test_rows_of_another_city_are_refused(api_a, city_a, city_b):
    data = csv_bytes(HEADER, GOOD_ROWS[0], "110105,2021-01,pledge_projects,4")

    response = upload(api_a, city_a, "metrics.csv", data)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "line": 3,
            "column": "city_code",
            "code": "other_city",
            "reason": "this upload is for city 440300",
        }
    ]
    assert not MetricValue.objects.exists()


def test_rows_for_a_submitted_report_are_refused_by_line(api_a, city_a):
    upload(api_a, city_a, "metrics.csv", csv_bytes(HEADER, GOOD_ROWS[0]))
    report = Report.objects.get(participation=city_a)
    present = set(report.values.values_list("indicator__code", flat=True))
    rest = {code: "0" for code in INDICATORS_2020 if code not in present}
    body = {"version": report.version, "values": rest}  # a report is submitted complete
    assert api_a.put(f"/api/v1/reports/{report.pk}/values/", body, format="json").status_code == 200
    assert api_a.post(f"/api/v1/reports/{report.pk}/submit/", {}, format="json").status_code == 200

    response = upload(api_a, city_a, "metrics.csv", csv_bytes(HEADER, *GOOD_ROWS))

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["line"], e["column"]) for e in errors] == [(2, "period"), (3, "period")]
    assert all("2021-01 is submitted" in e["reason"] for e in errors)
    # Nothing of the file was saved, not even the rows of the open period.
    assert Report.objects.count() == 1
    assert stored(city_a)[("2021-01", "pledge_projects")] == (
        Decimal("4"),
        "submitted",
        "submitted",
    )
    assert len(stored(city_a)) == 10  # the report as submitted: nothing more


def test_only_the_citys_own_officials_may_upload(api_b, api_reviewer, api_anonymous, city_a):
    data = csv_bytes(HEADER, *GOOD_ROWS)

    assert upload(api_b, city_a, "metrics.csv", data).status_code == 404
    assert upload(api_reviewer, city_a, "metrics.csv", data).status_code == 403
    assert upload(api_anonymous, city_a, "metrics.csv", data).status_code in (401, 403)
    assert not MetricValue.objects.exists()


def test_an_upload_without_a_file_is_refused(api_a, city_a):
    response = api_a.post(f"/api/v1/participations/{city_a.pk}/upload/", {}, format="multipart")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "file"
