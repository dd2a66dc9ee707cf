"""The browsable API (``?format=api``, the HTML pages a browser gets) tells an official nothing
about another city: no filter offers another city's participation or a run that never scored
their city, no form lists them, and every filter answers alike for another city's id and for
an id that does not exist."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import yaml
from rest_framework.test import APIClient

from evaluation.models import CityResult

pytestmark = pytest.mark.django_db


class Options(HTMLParser):
    """The values of every <option>, by the name of its <select>."""

    def __init__(self) -> None:
        super().__init__()
        self.select: str | None = None
        self.found: dict[str, set[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "select":
            self.select = named.get("name") or ""
            self.found.setdefault(self.select, set())
        elif tag == "option" and self.select is not None:
            self.found[self.select].add(named.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None


def options(html: str) -> dict[str, set[str]]:
    parser = Options()
    parser.feed(html)
    return parser.found


def own_urls(world) -> list[str]:
    """Every route of the schema, with official A's own objects in it."""
    schema = yaml.safe_load(APIClient().get("/api/schema/").content)
    result_a = CityResult.objects.get(run=world.run, participation=world.city_a)
    report_a = world.reports_a["2022-04"]
    ids = {
        "participations": world.city_a.pk,
        "reports": report_a.pk,
        "runs": world.run.pk,
        "results": result_a.pk,
        "decisions": result_a.decision.pk,
        "audit": report_a.pk,
    }
    urls = []
    for path in schema["paths"]:
        if not path.startswith("/api/v1/"):
            continue
        resource = path.split("/")[3]
        url = path.replace("{model}", "report").replace("{id}", str(ids.get(resource, 0)))
        url = url.replace("{code}", "2020" if resource == "programmes" else "pledge_amount")
        url = url.replace("{token_key}", "0123456789abcde")
        urls.append(url)
    assert len(urls) > 20
    return urls


def test_no_browsable_page_shows_an_official_anything_of_another_city(world):
    other = world.city_b.city
    leaks = {other.code, other.name_en, other.name_zh}
    own_participations = {"", str(world.city_a.pk)}
    runs_scoring_a = {"", str(world.nightly.pk)}  # the runs with a result official A may see

    for url in own_urls(world):
        for response in (
            world.api_a.get(url, {"format": "api"}),
            world.api_a.get(url, HTTP_ACCEPT="text/html"),
        ):
            assert response["Content-Type"].startswith("text/html"), url
            html = response.content.decode()
            assert [word for word in leaks if word in html] == [], url
            offered = options(html)
            assert offered.get("participation", set()) <= own_participations, url
            assert offered.get("run", set()) <= runs_scoring_a, url
            assert str(world.run_b_only.pk) not in offered.get("run", set()), url


def test_the_filter_forms_offer_an_official_their_own_choices_only(world):
    reports = options(world.api_a.get("/api/v1/reports/", {"format": "api"}).content.decode())
    results = options(world.api_a.get("/api/v1/results/", {"format": "api"}).content.decode())
    reviewer = options(
        world.api_reviewer.get("/api/v1/results/", {"format": "api"}).content.decode()
    )

    assert reports["participation"] == {"", str(world.city_a.pk)}
    # Official A's choices: the runs with a result of theirs they may see (an official run's
    # once it is finalised; neither official run here is).
    assert results["run"] == {"", str(world.nightly.pk)}
    assert reviewer["run"] == {
        "",
        str(world.run_b_only.pk),
        str(world.run.pk),
        str(world.nightly.pk),
        str(world.command_run.pk),
    }


def body_and_status(client, url: str, params: dict) -> tuple[int, object]:
    response = client.get(url, params)
    return response.status_code, response.json()


@pytest.mark.parametrize(
    ("url", "name", "other", "missing"),
    [
        ("/api/v1/reports/", "participation", "city_b.pk", 999_999),
        ("/api/v1/reports/", "city", "city_b.city.code", "999999"),
        ("/api/v1/results/", "run", "run_b_only.pk", 999_999),
        ("/api/v1/results/", "city", "city_b.city.code", "999999"),
        ("/api/v1/participations/", "city", "city_b.city.code", "999999"),
    ],
)
def test_a_filter_answers_alike_for_another_citys_id_and_one_that_does_not_exist(
    world, url, name, other, missing
):
    value = world
    for part in other.split("."):
        value = getattr(value, part)

    seen_other = body_and_status(world.api_a, url, {name: value})
    seen_missing = body_and_status(world.api_a, url, {name: missing})

    status, body = seen_other
    assert status in (200, 400)
    if status == 200:
        assert body["results"] == []
    assert re.sub(str(value), "X", str(seen_other[1])) == re.sub(
        str(missing), "X", str(seen_missing[1])
    )
    assert seen_other[0] == seen_missing[0]


def test_a_reviewer_filters_by_any_participation_and_run(world):
    by_participation = world.api_reviewer.get(
        "/api/v1/reports/", {"participation": world.city_b.pk}
    ).json()["results"]
    by_run = world.api_reviewer.get("/api/v1/results/", {"run": world.run_b_only.pk}).json()[
        "results"
    ]

    assert {r["city"] for r in by_participation} == {world.city_b.city.code}
    assert [r["city"]["code"] for r in by_run] == [world.city_b.city.code]


def test_a_signed_out_visitor_sees_no_city_on_any_page(world):
    anonymous = APIClient()
    for url in own_urls(world):
        if url == "/api/v1/auth/token/":
            continue  # open to all: it takes a password
        response = anonymous.get(url, {"format": "api"})
        html = response.content.decode()
        assert response.status_code in (401, 403), url
        for city in (world.city_a.city, world.city_b.city):
            assert city.code not in html, url
            assert city.name_en not in html, url


def test_the_filter_forms_take_the_same_queries_however_many_choices_they_offer(
    world, programme, reviewer, django_capture_on_commit_callbacks
):
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from evaluation.services.runs import evaluation_run_request
    from tests.api.conftest import client_for
    from tests.factories import ParticipationFactory

    def count(url: str) -> int:
        client = client_for(get_user_model().objects.get(pk=reviewer.pk))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, {"format": "api"}).status_code == 200
        return len(captured)

    before = [count(url) for url in ("/api/v1/reports/", "/api/v1/results/")]
    for _ in range(4):
        ParticipationFactory(programme=programme)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            evaluation_run_request(
                programme=programme, kind="provisional", trigger="api", by=reviewer
            )
    after = [count(url) for url in ("/api/v1/reports/", "/api/v1/results/")]

    assert after[0] == before[0]
    assert after[1] == before[1]
