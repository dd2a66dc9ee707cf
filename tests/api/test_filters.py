"""Every list takes the filters a user expects and refuses one it does not know (400, naming
it) instead of ignoring it and answering with the whole list."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def listed(client, url: str, **params) -> list[dict]:
    response = client.get(url, params)
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def test_decisions_are_filtered_by_run_city_programme_and_status(world):
    api = world.api_reviewer
    url = "/api/v1/decisions/"

    assert {d["run"] for d in listed(api, url, run=world.run.pk)} == {world.run.pk}
    assert len(listed(api, url, run=world.run.pk)) == 2
    assert [d["run"] for d in listed(api, url, run=world.run_b_only.pk)] == [world.run_b_only.pk]
    assert {d["city"] for d in listed(api, url, city="110105")} == {"110105"}
    assert [
        (d["run"], d["city"]) for d in listed(api, url, run=world.run.pk, status="confirmed")
    ] == [(world.run.pk, "110105")]
    assert listed(api, url, programme="2019") == []
    assert len(listed(api, url, programme="2020")) == len(listed(api, url))


def test_reports_are_filtered_by_period(world):
    mine = listed(world.api_a, "/api/v1/reports/", period="2022-03")
    everyones = listed(world.api_reviewer, "/api/v1/reports/", period="2022-01")

    assert [(r["city"], r["period"]) for r in mine] == [("440300", "2022-03")]
    assert [(r["city"], r["period"]) for r in everyones] == [("110105", "2022-01")]
    assert listed(world.api_a, "/api/v1/reports/", period="2022-01") == []


def test_a_period_that_is_not_one_is_refused(world):
    response = world.api_a.get("/api/v1/reports/", {"period": "March"})

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "period"
    assert "not a period" in error["reason"]


def test_results_are_filtered_by_run_city_and_grade(world):
    api = world.api_reviewer
    url = "/api/v1/results/"

    assert [r["city"]["code"] for r in listed(api, url, run=world.run.pk, city="440300")] == [
        "440300"
    ]
    assert {r["grade"] for r in listed(api, url, run=world.run.pk, grade="excellent")} == {
        "excellent"
    }
    assert {r["run"] for r in listed(api, url, programme="2020")} == {
        world.run_b_only.pk,
        world.run.pk,
        world.nightly.pk,
        world.command_run.pk,
    }


def test_runs_are_filtered_by_programme_kind_and_status(world):
    api = world.api_reviewer
    url = "/api/v1/runs/"

    assert [r["id"] for r in listed(api, url, kind="provisional")] == [
        world.nightly.pk,
        world.run_b_only.pk,
    ]
    assert len(listed(api, url, programme="2020", status="succeeded")) == 4
    assert listed(api, url, programme="2019") == []


@pytest.mark.parametrize(
    ("url", "query", "field"),
    [
        ("/api/v1/decisions/", {"runs": "1"}, "runs"),
        ("/api/v1/reports/", {"periods": "2022-03"}, "periods"),
        ("/api/v1/results/", {"city_code": "440300"}, "city_code"),
        ("/api/v1/runs/", {"as_of": "2021-12-31"}, "as_of"),
        ("/api/v1/participations/", {"year": "2020"}, "year"),
        ("/api/v1/programmes/", {"code": "2020"}, "code"),
        ("/api/v1/indicators/", {"unit": "count"}, "unit"),
        ("/api/v1/auth/tokens/", {"user": "reviewer"}, "user"),
    ],
)
def test_an_unknown_filter_is_refused_naming_it(world, url, query, field):
    response = world.api_reviewer.get(url, query)

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == field
    assert "unknown filter" in error["reason"]


def test_the_refusal_says_which_filters_the_list_takes(world):
    response = world.api_reviewer.get("/api/v1/decisions/", {"run_id": world.run.pk})

    reason = response.json()["errors"][0]["reason"]
    assert reason == "unknown filter; this list takes: city, programme, run, status"


def test_every_unknown_filter_of_a_request_is_named(world):
    response = world.api_a.get("/api/v1/reports/", {"colour": "red", "size": "2", "year": "2022"})

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["colour", "size"]


def test_page_and_format_are_not_filters(world):
    response = world.api_a.get("/api/v1/reports/", {"page": "1", "format": "json"})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 2


def test_an_object_is_not_reached_through_an_unknown_parameter_either(world):
    report = world.reports_a["2022-03"]

    response = world.api_a.get(f"/api/v1/reports/{report.pk}/", {"expand": "values"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "expand"
