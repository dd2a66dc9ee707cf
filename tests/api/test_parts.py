"""The API of the optional parts, as each person uses it: a city's money and the execution rate
so far, its planned spending, its expenditure reviewed like a report, the optional tasks it
chose. Refusals in the one error shape, with their codes; another city's objects are 404."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evaluation.models import Expenditure, TaskChoice
from evaluation.scoring import Granularity, Period
from evaluation.services import money as money_service
from tests.api.conftest import client_for
from tests.parts import ruleset_with_parts

pytestmark = pytest.mark.django_db


@pytest.fixture
def parts(programme):
    return ruleset_with_parts(programme)


def test_the_city_follows_its_money_through_the_api(city_a, api_a, api_reviewer):
    plan = api_a.put(
        f"/api/v1/participations/{city_a.pk}/plan/", {"year": 2021, "planned": "4000.00"}, "json"
    )
    assert plan.status_code == 200
    assert plan.json()["plan"] == [{"year": 2021, "planned": "4000.00"}]

    created = api_a.post(
        "/api/v1/expenditure/",
        {"participation": city_a.pk, "period": "2021-03", "amount": "3000.00", "evidence": "v1"},
        "json",
    )
    assert created.status_code == 201, created.json()
    spent = created.json()
    assert (spent["status"], spent["amount"], spent["period"]) == ("draft", "3000.00", "2021-03")
    url = f"/api/v1/expenditure/{spent['id']}/"
    assert api_a.post(url + "submit/", {}, "json").json()["status"] == "submitted"
    assert api_a.post(url + "approve/", {}, "json").status_code == 403
    assert api_reviewer.post(url + "approve/", {}, "json").json()["status"] == "approved"

    money = api_a.get(f"/api/v1/participations/{city_a.pk}/money/").json()
    assert money["approved_so_far"] == "3000.00"
    assert money["first_tranche"] == "100000000.00"
    assert [t["run"] for t in money["tranches"]] == [None]
    assert money["expenditure"][0]["status"] == "approved"
    assert money["suspended"] is False


def test_a_locked_expenditure_is_409_and_a_bad_one_400_by_field(city_a, api_a, api_reviewer):
    spent = api_a.post(
        "/api/v1/expenditure/",
        {"participation": city_a.pk, "period": "2021-03", "amount": "1", "evidence": "v"},
        "json",
    ).json()
    api_a.post(f"/api/v1/expenditure/{spent['id']}/submit/", {}, "json")

    locked = api_a.post(
        "/api/v1/expenditure/",
        {"participation": city_a.pk, "period": "2021-03", "amount": "2", "evidence": "v"},
        "json",
    )
    bad = api_a.post(
        "/api/v1/expenditure/",
        {"participation": city_a.pk, "period": "2021-04", "amount": "-2", "evidence": "v"},
        "json",
    )
    no_comment = api_reviewer.post(
        f"/api/v1/expenditure/{spent['id']}/return/", {"comment": ""}, "json"
    )

    assert (locked.status_code, locked.json()["errors"][0]["code"]) == (
        409,
        "expenditure_submitted",
    )
    assert bad.status_code == 400
    assert bad.json()["errors"] == [
        {
            "field": "amount",
            "code": "negative",
            "reason": "-2 is negative; values are never negative",
        }
    ]
    assert (no_comment.status_code, no_comment.json()["errors"][0]["code"]) == (
        400,
        "comment_required",
    )
    assert Expenditure.objects.get().amount == Decimal(1)


def test_the_city_chooses_its_optional_tasks_through_the_api(parts, city_a, api_a):
    url = f"/api/v1/participations/{city_a.pk}/tasks/"
    chosen = api_a.put(url, {"chosen": ["fund"]}, "json")
    refused = api_a.put(url, {"chosen": ["platform"]}, "json")

    assert chosen.status_code == 200
    assert [(t["code"], t["compulsory"], t["chosen"]) for t in chosen.json()] == [
        ("platform", True, True),
        ("talent", True, True),
        ("training", False, False),
        ("fund", False, True),
        ("navigation_service", False, False),
    ]
    assert (refused.status_code, refused.json()["errors"][0]["code"]) == (400, "task_compulsory")
    assert list(TaskChoice.objects.values_list("task__code", flat=True)) == ["fund"]


def test_an_expert_sees_no_citys_money_or_tasks_through_the_api(parts, city_a):
    from tests.parts import expert

    scorer = expert("zhou.expert", city_a)
    api = client_for(scorer)

    assert api.get(f"/api/v1/participations/{city_a.pk}/tasks/").status_code == 404
    assert api.get(f"/api/v1/participations/{city_a.pk}/money/").status_code == 404
    assert api.get("/api/v1/expenditure/").json()["results"] == []


def test_the_expenditure_list_reads_a_fixed_number_of_queries(city_a, official_a, reviewer):
    from tests.api.test_query_counts import assert_constant

    def entered(months: range) -> None:
        for month in months:
            money_service.expenditure_save(
                participation=city_a,
                period=Period(2021, Granularity.MONTH, month),
                amount="10",
                evidence="v",
                by=official_a,
            )

    entered(range(1, 3))
    assert_constant(reviewer, "/api/v1/expenditure/", lambda: entered(range(3, 8)), few=2, many=7)
