"""The forecast as the domain reads it (``evaluation.forecasts``): from the approved values in
the database, for the city's officials and reviewers only, in a fixed number of queries
whatever the number of cities, and never stored."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluation.exceptions import Forbidden, NotFound
from evaluation.forecasts import city_forecast, forecast_date, programme_forecast
from evaluation.models import CityResult, EvaluationRun, OfficialAssignment
from evaluation.services.people import role_grant
from tests.factories import ParticipationFactory, UserFactory, add_value
from tests.followup import half_way

pytestmark = pytest.mark.django_db

JULY = dt.date(2021, 7, 15)


@pytest.fixture
def shenyang(programme):
    participation = ParticipationFactory(programme=programme, city__code="210100")
    half_way(participation.city)
    return participation


@pytest.fixture
def urumqi(programme):
    participation = ParticipationFactory(programme=programme, city__code="650100")
    half_way(participation.city, growth=130, cumulative=1)
    return participation


@pytest.fixture
def official(shenyang):
    user = UserFactory(username="li.wei")
    OfficialAssignment.objects.create(user=user, participation=shenyang)
    return user


@pytest.fixture
def reviewer(db):
    user = UserFactory(username="wang.fang")
    role_grant(user=user, role="reviewer")
    return user


def test_the_forecast_looks_to_the_next_evaluation_date(programme):
    assert forecast_date(programme=programme, today=JULY) == dt.date(2021, 12, 31)
    assert forecast_date(programme=programme, today=dt.date(2022, 1, 1)) == dt.date(2022, 12, 31)


def test_an_official_sees_where_the_city_is_heading_from_its_approved_figures(shenyang, official):
    view = city_forecast(participation=shenyang, fetched_by=official, today=JULY)

    lines = {line.code: line for line in view.indicators}
    # 660 in six months of 2021 against 600 in the same months of 2020 (1,200 in all): 1,320.
    assert lines["transfer_licence_count"].figure == Decimal("1320.00")
    # 5 a month over 18 months approved; six to come: 120 by the end of 2021.
    assert lines["sme_transformations"].figure == Decimal("120.00")
    assert view.by == dt.date(2021, 12, 31)
    assert view.likely.score == sum(line.points for line in view.indicators)
    assert view.low.score <= view.likely.score <= view.high.score


def test_figures_not_yet_approved_do_not_count(shenyang, official):
    before = city_forecast(participation=shenyang, fetched_by=official, today=JULY)
    add_value(shenyang.city, "sme_transformations", "2021-07", "500", approved=False)

    after = city_forecast(participation=shenyang, fetched_by=official, today=JULY)

    assert after == before


def test_another_citys_official_and_a_stranger_see_no_forecast(shenyang, urumqi):
    other = UserFactory(username="aili")
    OfficialAssignment.objects.create(user=other, participation=urumqi)
    for person in (other, AnonymousUser()):
        with pytest.raises(NotFound):
            city_forecast(participation=shenyang, fetched_by=person, today=JULY)
    with pytest.raises(Forbidden):
        programme_forecast(programme=shenyang.programme, fetched_by=other, today=JULY)


def test_reviewers_see_every_city_most_at_risk_of_falling_a_tier_first(shenyang, urumqi, reviewer):
    found = programme_forecast(programme=shenyang.programme, fetched_by=reviewer, today=JULY)

    risks = [(view.risk, -view.margin) for view in found.cities]
    assert risks == sorted(risks, reverse=True)
    assert {view.participation.city.code for view in found.cities} == {"210100", "650100"}
    by_score = programme_forecast(
        programme=shenyang.programme, fetched_by=reviewer, today=JULY, order="score"
    )
    scores = [view.likely.score for view in by_score.cities]
    assert scores == sorted(scores)


def test_a_city_that_cannot_be_forecast_says_why_and_comes_last(shenyang, urumqi, reviewer):
    # A year reported both by month and by quarter: an evaluation would refuse it.
    add_value(urumqi.city, "operation_centres", "2021-Q3", "1")

    found = programme_forecast(programme=shenyang.programme, fetched_by=reviewer, today=JULY)

    last = found.cities[-1]
    assert last.participation == urumqi and last.likely is None
    assert "mixes" in last.problem


def test_the_reviewers_forecast_takes_the_same_queries_for_more_cities(
    programme, reviewer, django_assert_num_queries
):
    cities = [ParticipationFactory(programme=programme) for _ in range(2)]
    for participation in cities:
        half_way(participation.city)
    programme_forecast(programme=programme, fetched_by=reviewer, today=JULY)
    with CaptureQueriesContext(connection) as two:
        programme_forecast(programme=programme, fetched_by=reviewer, today=JULY)
    for _ in range(4):
        participation = ParticipationFactory(programme=programme)
        half_way(participation.city)

    with django_assert_num_queries(len(two.captured_queries)):
        found = programme_forecast(programme=programme, fetched_by=reviewer, today=JULY)
    assert len(found.cities) == 6


def test_a_forecast_is_never_stored(shenyang, official, reviewer):
    city_forecast(participation=shenyang, fetched_by=official, today=JULY)
    programme_forecast(programme=shenyang.programme, fetched_by=reviewer, today=JULY)

    assert not EvaluationRun.objects.exists()
    assert not CityResult.objects.exists()
