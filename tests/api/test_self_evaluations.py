"""The self-evaluations (自评) and the province's review (省级复核) through the API: who sees
which (the city's officials their own, its province's reviewers their cities', the ministry's
reviewers all; another city's official and another province's reviewer are told nothing exists,
a signed-out caller is refused), each step through its service with the reader's language in
every refusal, the province's opinion in what the ministry reads, and a list read in a fixed
number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluation.models import OfficialAssignment, Report, SelfEvaluation
from evaluation.scoring import Period
from evaluation.services import people, reporting
from tests.api.conftest import client_for
from tests.factories import ParticipationFactory, UserFactory, complete
from tests.self_evaluations import (
    MEASURES,
    REASON,
    prepared_and_explained,
    provincial,
    submitted_self_evaluation,
    with_a_shortfall,
)

pytestmark = pytest.mark.django_db

LIST = "/api/v1/self-evaluations/"


@pytest.fixture
def guangdong(db):
    """A reviewer of Guangdong (44): Shenzhen's province."""
    user = UserFactory(username="guangdong.reviewer")
    people.province_bind(user=user, province="44")
    return user


@pytest.fixture
def beijing(db):
    """A reviewer of Beijing (11): Chaoyang's province, not Shenzhen's."""
    user = UserFactory(username="beijing.reviewer")
    people.province_bind(user=user, province="11")
    return user


@pytest.fixture
def shenzhen(programme, city_a, official_a):
    provincial(programme)
    return submitted_self_evaluation(with_a_shortfall(city_a), official_a)


def one(item: SelfEvaluation) -> str:
    return f"{LIST}{item.pk}/"


def test_the_city_its_province_and_the_ministry_read_it_with_each_indicator(
    shenzhen, official_a, guangdong, reviewer
):
    for user in (official_a, guangdong, reviewer):
        response = client_for(user).get(one(shenzhen))
        assert response.status_code == 200, user
        body = response.json()
        assert (body["city"], body["status"], body["as_of"]) == (
            "440300",
            "submitted",
            "2021-12-31",
        )
        short = [line for line in body["lines"] if line["short"]]
        assert [
            (line["indicator"], line["shortfall_reason"], line["measures"]) for line in short
        ] == [("operation_centres", REASON, MEASURES)]
        assert short[0]["attainment"] == "0.5000" and short[0]["target"] == "2.0000"
        assert body["figures"]["score"]
    listed = client_for(guangdong).get(LIST).json()["results"]
    assert [item["id"] for item in listed] == [shenzhen.pk]


def test_another_city_another_province_and_a_signed_out_caller_get_nothing(
    shenzhen, official_b, beijing, api_anonymous
):
    version = shenzhen.version
    for user in (official_b, beijing):
        api = client_for(user)
        assert api.get(one(shenzhen)).status_code == 404
        assert api.get(LIST).json()["results"] == []
        for step, body in (
            ("submit", {}),
            ("forward", {"opinion": "同意"}),
            ("send-back", {"comment": "x"}),
            ("accept", {}),
            ("return", {"comment": "x"}),
        ):
            assert api.post(one(shenzhen) + step + "/", body, format="json").status_code == 404
    assert api_anonymous.get(LIST).status_code in (401, 403)
    assert api_anonymous.get(one(shenzhen)).status_code in (401, 403)
    shenzhen.refresh_from_db()
    assert (shenzhen.status, shenzhen.version) == ("submitted", version)


def test_the_province_forwards_with_its_opinion_and_the_ministry_reads_it_and_accepts(
    shenzhen, guangdong, reviewer, api_reviewer
):
    early = api_reviewer.post(one(shenzhen) + "accept/")
    assert early.status_code == 409
    assert early.json()["errors"][0]["code"] == "self_evaluation_accept_before_province"
    forwarded = client_for(guangdong).post(
        one(shenzhen) + "forward/", {"opinion": "情况属实，同意报送"}, format="json"
    )
    assert forwarded.status_code == 200
    assert forwarded.json()["status"] == "forwarded"
    [opinion] = api_reviewer.get(one(shenzhen)).json()["opinions"]
    assert (opinion["step"], opinion["text"], opinion["by"]) == (
        "forward",
        "情况属实，同意报送",
        "guangdong.reviewer",
    )
    accepted = api_reviewer.post(one(shenzhen) + "accept/")
    assert accepted.json()["status"] == "accepted"


def test_the_ministry_is_not_the_province_and_the_city_is_neither(shenzhen, api_reviewer, api_a):
    refused = api_reviewer.post(one(shenzhen) + "forward/", {"opinion": "同意"}, format="json")
    assert refused.status_code == 403
    assert api_a.post(one(shenzhen) + "accept/").status_code == 403
    shenzhen.refresh_from_db()
    assert shenzhen.status == "submitted"


def test_the_city_submits_and_a_shortfall_unexplained_is_refused_naming_it(
    programme, city_a, official_a, api_a
):
    item = prepared_and_explained(with_a_shortfall(city_a), official_a)
    line = item.lines.get(indicator__code="operation_centres")
    line.measures = ""
    line.save()
    refused = api_a.post(one(item) + "submit/")
    assert refused.status_code == 400
    [error] = refused.json()["errors"]
    assert (error["field"], error["code"]) == ("measures-operation_centres", "measures_required")
    assert "operation centres" in error["reason"].lower()
    item.refresh_from_db()
    assert item.status == "draft"


@pytest.mark.chinese
def test_a_refusal_is_in_chinese_unless_the_reader_asks_for_english(shenzhen, guangdong):
    api = client_for(guangdong)
    chinese = api.post(one(shenzhen) + "send-back/", {"comment": " "}, format="json")
    english = api.post(
        one(shenzhen) + "send-back/", {"comment": " "}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert chinese.status_code == english.status_code == 400
    assert chinese.json()["errors"][0]["code"] == english.json()["errors"][0]["code"]
    assert "城市" in chinese.json()["errors"][0]["reason"]
    assert "city" in english.json()["errors"][0]["reason"]


def test_the_ministry_returns_it_with_a_comment_where_it_reviews_directly(
    programme, city_a, official_a, api_reviewer
):
    item = submitted_self_evaluation(with_a_shortfall(city_a), official_a)
    assert (
        api_reviewer.post(one(item) + "return/", {"comment": ""}, format="json").status_code == 400
    )
    returned = api_reviewer.post(one(item) + "return/", {"comment": "请补充时间表"}, format="json")
    assert returned.status_code == 200
    assert (returned.json()["status"], returned.json()["review_comment"]) == (
        "returned",
        "请补充时间表",
    )


def submitted_report(participation, official) -> Report:
    report = reporting.report_create(
        participation=participation, period=Period.parse("2021-03"), by=official
    )
    report = reporting.report_values_set(
        report=report, values=complete({}), version=report.version, by=official
    )
    return reporting.report_submit(report=report, version=None, by=official)


def test_the_province_forwards_a_report_or_sends_it_back_and_nobody_else_does(
    programme, city_a, official_a, guangdong, beijing, reviewer, api_anonymous
):
    provincial(programme)
    report = submitted_report(city_a, official_a)
    url = f"/api/v1/reports/{report.pk}/"
    for user, expected in ((beijing, 404), (official_a, 404), (reviewer, 403)):
        response = client_for(user).post(url + "forward/", {"opinion": "同意"}, format="json")
        assert response.status_code == expected, user
    assert api_anonymous.post(url + "forward/", {"opinion": "同意"}, format="json").status_code in (
        401,
        403,
    )
    province = client_for(guangdong)
    empty = province.post(url + "send-back/", {"comment": ""}, format="json")
    assert empty.status_code == 400 and empty.json()["errors"][0]["code"] == "comment_required"
    back = province.post(url + "send-back/", {"comment": "三月数据有误"}, format="json")
    assert (back.json()["status"], back.json()["review_comment"]) == ("returned", "三月数据有误")
    reporting.report_submit(report=report, version=None, by=official_a)
    forwarded = province.post(url + "forward/", {"opinion": "数据已核实"}, format="json")
    assert forwarded.status_code == 200 and forwarded.json()["status"] == "forwarded"
    # The province reaches the report only for its steps: its list is the officials' and the
    # ministry's.
    assert province.get("/api/v1/reports/").json()["results"] == []


def test_the_provinces_steps_reach_a_report_of_a_city_with_several_officials_once(
    programme, city_a, official_a, guangdong
):
    """A city has several officials: the province's step finds its report once (not once per
    official), and a comment longer than a review's is refused, not a server error."""
    provincial(programme)
    OfficialAssignment.objects.create(
        user=UserFactory(username="second.official"), participation=city_a
    )
    report = submitted_report(city_a, official_a)
    url = f"/api/v1/reports/{report.pk}/"
    province = client_for(guangdong)

    long = province.post(url + "send-back/", {"comment": "长" * 5001}, format="json")
    assert long.status_code == 400 and long.json()["errors"][0]["code"] == "text_too_long"
    assert Report.objects.get(pk=report.pk).status == "submitted"
    forwarded = province.post(url + "forward/", {"opinion": "数据已核实"}, format="json")
    assert forwarded.status_code == 200 and forwarded.json()["status"] == "forwarded"


def test_the_list_is_read_in_a_fixed_number_of_queries(programme, reviewer):
    provincial(programme)

    def city(code: str):
        participation = ParticipationFactory(programme=programme, city__code=code)
        official = UserFactory()
        OfficialAssignment.objects.create(user=official, participation=participation)
        submitted_self_evaluation(with_a_shortfall(participation), official)

    def count() -> tuple[int, int]:
        api = client_for(type(reviewer).objects.get(pk=reviewer.pk))
        with CaptureQueriesContext(connection) as captured:
            response = api.get(LIST)
        return len(captured), len(response.json()["results"])

    city("440300")
    few = count()
    for code in ("440100", "340100", "110105"):
        city(code)
    many = count()
    assert (few[1], many[1]) == (1, 4)
    assert few[0] == many[0]
