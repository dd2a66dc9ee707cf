"""Every list endpoint reads its page in a fixed number of queries, whatever the number of rows:
the count with a few rows equals the count with many."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from evaluation.models import (
    EvaluationRun,
    Indicator,
    MetricValue,
    OfficialAssignment,
    Programme,
    Report,
    Ruleset,
    TrancheDecision,
)
from evaluation.quality import running_total_fell
from evaluation.scoring import Granularity, Period
from evaluation.services.decisions import decision_confirm
from evaluation.services.runs import evaluation_run_request
from tests.api.conftest import client_for
from tests.factories import ParticipationFactory, UserFactory, add_target, add_value

pytestmark = pytest.mark.django_db


def queries(user, url: str) -> tuple[int, int]:
    """(queries, rows listed) for ``user`` reading ``url``, as a fresh request would: the user is
    loaded anew so nothing cached on it from an earlier request saves a query."""
    client = client_for(get_user_model().objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.json()
    return len(captured), len(response.json()["results"])


def assert_constant(user, url: str, grow, *, few: int, many: int) -> None:
    """The queries to list ``url`` are the same before and after ``grow()`` adds rows."""
    before, listed_before = queries(user, url)
    grow()
    after, listed_after = queries(user, url)
    assert (listed_before, listed_after) == (few, many)
    assert after == before, f"{url}: {before} queries for {few} rows, {after} for {many}"


def assign(official, participation) -> None:
    OfficialAssignment.objects.create(user=official, participation=participation)


def test_programmes(reviewer, official_a):
    def grow():
        for year in range(2021, 2026):
            Programme.objects.create(
                code=str(year),
                name=f"{year} batch",
                baseline_year=year - 1,
                midterm_as_of=dt.date(year + 1, 12, 31),
                total_amount_min=Decimal("150000000"),
                total_amount_max=Decimal("150000000"),
                first_tranche_min=Decimal("100000000"),
                first_tranche_max=Decimal("100000000"),
            )

    assert_constant(reviewer, "/api/v1/programmes/", grow, few=3, many=8)


def test_indicators(reviewer):
    def grow():
        for n in range(5):
            Indicator.objects.create(
                code=f"extra_{n}", name_en=f"Extra {n}", name_zh=f"额外{n}", unit="count"
            )

    # The ten output indicators and the budget execution's entry in the catalogue.
    assert_constant(reviewer, "/api/v1/indicators/", grow, few=11, many=16)


def with_targets(participation):
    for indicator, value in (
        ("transfer_licence_count", "0.25"),
        ("pledge_amount", "0.35"),
        ("sme_transformations", "120"),
    ):
        add_target(participation, indicator, value)
    return participation


def test_participations_as_a_reviewer(reviewer, programme):
    with_targets(ParticipationFactory(programme=programme))

    def grow():
        for _ in range(4):
            with_targets(ParticipationFactory(programme=programme))

    assert_constant(reviewer, "/api/v1/participations/", grow, few=1, many=5)


def test_participations_as_an_official(programme):
    official = UserFactory(username="official_many")
    assign(official, with_targets(ParticipationFactory(programme=programme)))

    def grow():
        for _ in range(4):
            assign(official, with_targets(ParticipationFactory(programme=programme)))
        with_targets(ParticipationFactory(programme=programme))  # another official's city

    assert_constant(official, "/api/v1/participations/", grow, few=1, many=5)


VALUES = ("transfer_licence_count", "pledge_amount", "pledge_projects", "sme_transformations")


def add_reports(participation, user, months: range) -> None:
    """Submitted monthly reports of 2021, each with four values."""
    now = timezone.now()
    for month in months:
        report = Report.objects.create(
            participation=participation,
            city=participation.city,
            year=2021,
            granularity="month",
            number=month,
            status=Report.Status.SUBMITTED,
            due_date=dt.date(2021, month, 1) + dt.timedelta(days=45),
            created_by=user,
            submitted_by=user,
            submitted_at=now,
        )
        for code in VALUES:
            MetricValue.objects.create(
                city=participation.city,
                indicator=Indicator.objects.get(code=code),
                report=report,
                year=2021,
                granularity="month",
                number=month,
                value=Decimal(month * 10),
                status=MetricValue.Status.SUBMITTED,
                flags=[
                    running_total_fell(
                        period=Period(2021, Granularity.MONTH, month),
                        old=Decimal(9),
                        new=Decimal(1),
                    )
                ]
                if month % 2
                else [],
                submitted_by=user,
                submitted_at=now,
            )


def fell(month: int) -> dict[str, str]:
    return running_total_fell(
        period=Period(2021, Granularity.MONTH, month), old=Decimal(9), new=Decimal(1)
    )


def test_reports_as_a_reviewer(reviewer, city_a, city_b, official_a, official_b):
    add_reports(city_a, official_a, range(1, 2))
    add_reports(city_b, official_b, range(1, 2))

    def grow():
        add_reports(city_a, official_a, range(2, 7))
        add_reports(city_b, official_b, range(2, 7))

    assert_constant(reviewer, "/api/v1/reports/", grow, few=2, many=12)


def test_reports_as_an_official(official_a, city_a, city_b, official_b):
    add_reports(city_a, official_a, range(1, 3))

    def grow():
        add_reports(city_a, official_a, range(3, 13))
        add_reports(city_b, official_b, range(1, 13))

    assert_constant(official_a, "/api/v1/reports/", grow, few=2, many=12)


def test_reports_filtered(reviewer, city_a, official_a):
    add_reports(city_a, official_a, range(1, 3))

    def grow():
        add_reports(city_a, official_a, range(3, 13))

    url = "/api/v1/reports/?programme=2020&city=440300&year=2021&status=submitted"
    assert_constant(reviewer, url, grow, few=2, many=12)


def test_runs(reviewer, second_reviewer, programme):
    ruleset = Ruleset.objects.get(programme=programme, version=1)

    def add_run(by) -> EvaluationRun:
        return EvaluationRun.objects.create(
            programme=programme,
            ruleset=ruleset,
            as_of=programme.midterm_as_of,
            trigger=EvaluationRun.Trigger.API,
            triggered_by=by,
        )

    add_run(reviewer)

    def grow():
        for n in range(5):
            add_run([reviewer, second_reviewer, None][n % 3])

    assert_constant(reviewer, "/api/v1/runs/", grow, few=1, many=6)


@pytest.fixture
def run_with(programme, reviewer, second_reviewer, django_capture_on_commit_callbacks):
    """Run an official evaluation of every city of the programme now and sign half of its
    decisions off (``finalise``: all of them). Each run is as of a later year end: one official
    run per date is decided."""
    years = iter(range(2021, 2100))

    def run(*, finalise: bool = False) -> EvaluationRun:
        as_of = dt.date(next(years), 12, 31)
        with django_capture_on_commit_callbacks(execute=True):
            queued = evaluation_run_request(
                programme=programme, as_of=as_of, trigger="api", by=reviewer
            )
        decisions = TrancheDecision.objects.filter(city_result__run=queued).order_by("pk")
        for decision in decisions if finalise else decisions[: decisions.count() // 2]:
            decision_confirm(decision=decision, by=second_reviewer)
        return EvaluationRun.objects.get(pk=queued.pk)

    return run


def add_cities(programme, count: int, official=None) -> None:
    for _ in range(count):
        participation = with_targets(ParticipationFactory(programme=programme))
        add_value(participation.city, "transfer_licence_count", "2019", "100")
        add_value(participation.city, "transfer_licence_count", "2021", "150")
        if official is not None:
            assign(official, participation)


def test_results_of_a_run_as_a_reviewer(reviewer, programme, run_with):
    add_cities(programme, 2)
    few = run_with()
    add_cities(programme, 6)
    many = run_with()

    first, listed_few = queries(reviewer, f"/api/v1/results/?run={few.pk}")
    second, listed_many = queries(reviewer, f"/api/v1/results/?run={many.pk}")

    assert (listed_few, listed_many) == (2, 8)
    assert second == first


def test_results_as_a_reviewer_and_an_official(reviewer, programme, run_with):
    official = UserFactory(username="official_results")
    add_cities(programme, 1, official)
    add_cities(programme, 1)
    run_with(finalise=True)  # an official sees an official run's results once it is final
    few = {user.pk: queries(user, "/api/v1/results/") for user in (reviewer, official)}

    add_cities(programme, 3, official)
    add_cities(programme, 3)
    run_with(finalise=True)
    many = {user.pk: queries(user, "/api/v1/results/") for user in (reviewer, official)}

    assert [listed for _, listed in few.values()] == [2, 1]
    assert [listed for _, listed in many.values()] == [2 + 8, 1 + 4]
    assert {pk: count for pk, (count, _) in many.items()} == {
        pk: count for pk, (count, _) in few.items()
    }


def test_decisions(reviewer, programme, run_with):
    add_cities(programme, 2)
    run_with()

    def grow():
        add_cities(programme, 6)
        run_with()

    assert_constant(reviewer, "/api/v1/decisions/", grow, few=2, many=10)


def test_decisions_filtered_by_status(reviewer, programme, run_with):
    add_cities(programme, 2)
    run_with()

    def grow():
        add_cities(programme, 6)
        run_with()

    assert_constant(reviewer, "/api/v1/decisions/?status=confirmed", grow, few=1, many=5)
