"""The expert panel's pages: an expert sees the cities they are assigned to score and, on each,
its tasks with what the city shows for them (its figures, spending and evidence; a note where
its self-evaluation is not available yet), and scores each task with a comment, in Chinese by
default. Anyone who is not that city's expert gets 404 (a signed-out visitor: the sign-in)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from evaluation.models import TaskScore
from evaluation.scoring import Period
from evaluation.services import money, panel
from tests.cities.conftest import PASSWORD, browser
from tests.factories import add_value
from tests.parts import expert, ruleset_with_parts

pytestmark = pytest.mark.django_db


def words(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def parts(programme):
    return ruleset_with_parts(programme)


@pytest.fixture
def scorer(parts, city_a, city_b):
    panel.task_choices_set(participation=city_a, tasks=["fund"], by=None)
    panel.task_choices_set(participation=city_b, tasks=["training"], by=None)
    user = expert("zhou.expert", city_a)
    user.set_password(PASSWORD)
    user.save()
    return user


def test_an_expert_signs_in_and_lands_on_the_cities_they_score(scorer, city_a):
    client = browser(language="en")
    landed = client.post("/", {"username": "zhou.expert", "password": PASSWORD}, follow=True)

    assert landed.redirect_chain[-1][0] == "/panel/"
    shown = words(landed)
    assert "Shenyang (210100)" in shown and "0 of 3" in shown
    assert "Urumqi" not in shown


def test_the_city_page_shows_its_tasks_figures_and_evidence(scorer, city_a, official_a, reviewer):
    add_value(city_a.city, "sme_transformations", "2020", "30")
    spent = money.expenditure_save(
        participation=city_a,
        period=Period.parse("2020"),
        amount="100",
        evidence="contract 7",
        by=official_a,
    )
    money.expenditure_approve(
        expenditure=money.expenditure_submit(expenditure=spent, by=official_a), by=reviewer
    )

    shown = words(browser(scorer, "en").get(f"/panel/{city_a.pk}/"))

    assert "The city's self-evaluation is not available in the system yet" in shown
    assert "IP operation service platform platform · compulsory 8.00" in shown
    assert "IP operation fund fund · optional, chosen by the city" in shown
    assert "IP training for firms" not in shown  # not chosen by this city
    assert "2020: 30 SMEs" in shown
    assert "2020: contract 7" in shown


def test_the_expert_scores_every_task_with_a_comment(scorer, city_a):
    client = browser(scorer, "en")
    saved = client.post(
        f"/panel/{city_a.pk}/",
        {
            "score-platform": "0.85",
            "comment-platform": "the platform serves 40 firms",
            "score-fund": "0.6",
            "comment-fund": "",
            "score-talent": "",
        },
    )

    assert saved.status_code == 302
    assert sorted(TaskScore.objects.values_list("task__code", "score", "comment")) == [
        ("fund", Decimal("0.60"), ""),
        ("platform", Decimal("0.85"), "the platform serves 40 firms"),
    ]
    again = words(client.get(f"/panel/{city_a.pk}/"))
    assert "the platform serves 40 firms" in again


def test_one_bad_score_saves_none_and_says_why_beside_it(scorer, city_a):
    refused = browser(scorer, "en").post(
        f"/panel/{city_a.pk}/",
        {"score-platform": "0.85", "score-fund": "1.2", "score-talent": "0.333"},
    )

    assert refused.status_code == 400
    shown = words(refused)
    assert "1.2 is above 1: a score is a fraction from 0 to 1" in shown
    assert "0.333 has more than 2 decimals" in shown
    assert not TaskScore.objects.exists()


@pytest.mark.chinese
def test_the_scoring_page_is_chinese_by_default(scorer, city_a):
    shown = words(browser(scorer).get(f"/panel/{city_a.pk}/"))
    assert "待评分任务" in shown and "该城市的自评" in shown and "必做" in shown


def test_nobody_but_the_citys_expert_reaches_its_scoring_page(
    scorer, city_a, city_b, official_a, reviewer
):
    other_panel = expert("wu.expert", city_b)
    url = f"/panel/{city_a.pk}/"
    for user in (other_panel, official_a, reviewer):
        visitor = browser(user)
        assert visitor.get(url).status_code == 404, user
        assert visitor.post(url, {"score-platform": "1"}).status_code == 404, user
    assert browser(official_a).get("/panel/").status_code == 404
    for target in (url, "/panel/"):
        response = browser().get(target)
        assert response.status_code == 302 and "next=" in response["Location"]
    assert not TaskScore.objects.exists()


def test_the_experts_list_reads_a_fixed_number_of_queries(scorer, programme):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from evaluation.services.panel import expert_assign
    from tests.factories import ParticipationFactory

    client = browser(scorer, "en")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/panel/").status_code == 200
    for n in range(4):
        more = ParticipationFactory(programme=programme, city__code=f"99000{n}")
        panel.task_choices_set(participation=more, tasks=["training"], by=None)
        expert_assign(expert=scorer, participation=more, by=None)
    with CaptureQueriesContext(connection) as many:
        shown = words(client.get("/panel/"))

    assert shown.count("0 of 3") == 5
    assert len(many) == len(few)
