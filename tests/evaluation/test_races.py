"""The same first save asked twice at the same moment (a second click, a retried call): both
requests get the one row the database keeps, not a server error for the second
(``services.races.once_more_after_a_race``). PostgreSQL: two connections that lock each
other."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from evaluation.models import Expenditure, OfficialAssignment, SelfEvaluation, TaskScore
from evaluation.scoring import Period
from evaluation.services import money, panel
from evaluation.services import self_evaluation as self_evaluations
from tests.concurrently import at_once
from tests.factories import ParticipationFactory, UserFactory
from tests.parts import expert, ruleset_with_parts
from tests.self_evaluations import MIDTERM, with_a_shortfall

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs two connections that lock each other: PostgreSQL")


def _official(participation):  # type: ignore[no-untyped-def]
    user = UserFactory(username="li.wei")
    OfficialAssignment.objects.create(user=user, participation=participation)
    return user


def test_a_self_evaluation_prepared_twice_at_once_is_one(programme):
    city = with_a_shortfall(ParticipationFactory(programme=programme))
    official = _official(city)

    def prepare():  # type: ignore[no-untyped-def]
        return self_evaluations.self_evaluation_prepare(
            participation=city, as_of=MIDTERM, by=official
        )

    outcome = at_once(prepare, prepare)

    assert outcome.second_waited, outcome
    assert isinstance(outcome.first, SelfEvaluation), outcome
    assert isinstance(outcome.second, SelfEvaluation), outcome
    assert outcome.second.pk == outcome.first.pk
    assert SelfEvaluation.objects.filter(participation=city).count() == 1


def test_an_expenditure_entered_twice_at_once_is_one(programme):
    ruleset_with_parts(programme)
    city = ParticipationFactory(programme=programme)
    official = _official(city)

    def enter():  # type: ignore[no-untyped-def]
        return money.expenditure_save(
            participation=city,
            period=Period.parse("2021-Q1"),
            amount="1200000",
            evidence="合同",
            by=official,
        )

    outcome = at_once(enter, enter)

    assert outcome.second_waited, outcome
    assert isinstance(outcome.first, Expenditure), outcome
    assert isinstance(outcome.second, Expenditure), outcome
    assert Expenditure.objects.get(participation=city).amount == Decimal("1200000")


def test_an_experts_score_given_twice_at_once_is_one(programme):
    ruleset_with_parts(programme)
    city = ParticipationFactory(programme=programme, city__code="340100")
    panel.task_choices_set(participation=city, tasks=["fund"], by=None)
    scorer = expert("zhou.expert", city)

    def score():  # type: ignore[no-untyped-def]
        return panel.task_score_set(
            participation=city, task="platform", score="0.8", comment="built", by=scorer
        )

    outcome = at_once(score, score)

    assert outcome.second_waited, outcome
    assert isinstance(outcome.first, TaskScore), outcome
    assert isinstance(outcome.second, TaskScore), outcome
    assert TaskScore.objects.get(participation=city).score == Decimal("0.80")
