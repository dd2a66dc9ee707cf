"""The admin's file check counts what the reader fixes: "9 errors on 4 rows", not "9 bad
rows" when some rows break several rules."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from evaluation.models import MetricValue
from tests.admin.conftest import page
from tests.conftest import csv_bytes

pytestmark = pytest.mark.django_db

LOAD = "/admin/evaluation/metricvalue/load/"


def check(client, *lines: str):
    return client.post(
        LOAD,
        {"kind": "metrics", "file": SimpleUploadedFile("m.csv", csv_bytes(*lines)), "check": "1"},
    )


def test_several_errors_on_a_row_are_counted_as_errors_on_that_row(admin_client, city_a):
    response = check(
        admin_client,
        "city_code,period,indicator,value",
        "440300,2021-01,transfer_licence_count,12",  # good
        "999999,2021-13,no_such_indicator,lots",
        "999998,2021-14,pledge_amount,-1",
        "440300,2021-02,pledge_amount,lots",
        "440300,2021-99,nothing,1.234",
    )

    errors = response.context["errors"]
    assert {e.line for e in errors} == {3, 4, 5, 6}
    assert len(errors) == 11
    text = page(response)
    assert "11 errors on 4 rows: nothing was saved" in text
    assert "bad rows" not in text
    assert not MetricValue.objects.exists()


def test_one_error_on_one_row(admin_client, city_a):
    response = check(
        admin_client, "city_code,period,indicator,value", "440300,2021-01,pledge_amount,lots"
    )

    assert "1 error on 1 row: nothing was saved" in page(response)


def test_city_officials_and_visitors_cannot_check_a_file(official_client, anonymous_client):
    for client in (official_client, anonymous_client):
        response = check(client, "city_code,period,indicator,value", "440300,2021-01,x,1")
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_long_list_of_errors_is_cut_short_saying_how_many_more(admin_client, city_a, settings):
    settings.UPLOAD_ERRORS_SHOWN = 100
    rows = [f"440300,2021-{m % 12 + 1:02d},pledge_amount,lots" for m in range(130)]

    response = check(admin_client, "city_code,period,indicator,value", *rows)

    assert len(response.context["errors"]) == 100
    text = page(response)
    assert "130 errors, the first 100 listed: nothing was saved" in text
    assert "and 30 more errors, not listed" in text
    assert not MetricValue.objects.exists()
