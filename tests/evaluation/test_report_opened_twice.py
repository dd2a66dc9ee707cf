"""Two requests opening the same period's report at the same moment (a second click on 保存, a
provincial system retrying its call) get the same report, not a server error: the database
keeps one report a period and city, and the second request finds the first one's report once
it is committed. Real concurrency needs two connections to one database that lock each other:
PostgreSQL (SQLite takes one writer at a time, so the two never meet). Committed for real, so
the data the migrations ship is restored afterwards for the tests that follow
(``serialized_rollback``), as for every other test of real transactions here."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from evaluation.exceptions import WorkflowError
from evaluation.models import MetricValue, OfficialAssignment, Programme, Report
from evaluation.scoring import Period
from evaluation.services import reporting
from tests.concurrently import at_once, locked_against_update
from tests.conftest import csv_bytes
from tests.factories import ParticipationFactory, UserFactory, with_the_2020_rules

MARCH = Period.parse("2021-03")


@pytest.fixture(autouse=True)
def _postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs two connections that lock each other: PostgreSQL")


def _city_and_official():  # type: ignore[no-untyped-def]
    participation = ParticipationFactory(programme=Programme.objects.get(code="2020"))
    official = UserFactory(username="li.wei")
    OfficialAssignment.objects.create(user=official, participation=participation)
    return participation, official


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_requests_opening_one_period_get_the_same_report():
    participation, official = _city_and_official()

    def open_march():  # type: ignore[no-untyped-def]
        return reporting.report_create(participation=participation, period=MARCH, by=official)

    outcome = at_once(open_march, open_march)

    assert outcome.second_waited, outcome  # on the first request's uncommitted report
    assert isinstance(outcome.first, Report), outcome
    assert isinstance(outcome.second, Report), outcome
    assert outcome.second.pk == outcome.first.pk
    assert Report.objects.filter(participation=participation).count() == 1
    assert Report.history.filter(participation=participation).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_upload_and_a_form_save_opening_one_period_at_once_fill_the_same_report():
    """The form opens March and has not committed; the upload of a file with March waits for
    it, then fills the report the form opened (before, its insert met the constraint: a server
    error, the file lost)."""
    participation, official = _city_and_official()
    code = participation.city.code
    data = csv_bytes(
        "city_code,period,indicator,value",
        f"{code},2021-03,pledge_projects,4",
        f"{code},2021-04,pledge_projects,5",
    )

    outcome = at_once(
        lambda: reporting.report_create(participation=participation, period=MARCH, by=official),
        lambda: reporting.reports_upload(
            participation=participation, name="m.csv", data=data, by=official
        ),
    )

    assert outcome.second_waited, outcome  # until the form's request ends
    assert isinstance(outcome.first, Report), outcome
    assert isinstance(outcome.second, dict), outcome
    assert outcome.second["periods"] == ["2021-03", "2021-04"]
    march = Report.objects.get(participation=participation, number=3)
    assert march.pk == outcome.first.pk
    assert Report.objects.filter(participation=participation).count() == 2
    assert MetricValue.objects.get(report=march).value == 4


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_form_save_opening_a_period_an_upload_is_opening_gets_the_uploads_report():
    """The other order. (The code before the city's lock passed this too: its insert waited on
    the upload's uncommitted report and, on the constraint, read it back.)"""
    participation, official = _city_and_official()
    data = csv_bytes(
        "city_code,period,indicator,value", f"{participation.city.code},2021-03,pledge_projects,4"
    )

    outcome = at_once(
        lambda: reporting.reports_upload(
            participation=participation, name="m.csv", data=data, by=official
        ),
        lambda: reporting.report_create(participation=participation, period=MARCH, by=official),
    )

    assert outcome.second_waited, outcome
    assert isinstance(outcome.first, dict), outcome
    assert isinstance(outcome.second, Report), outcome
    assert Report.objects.get(participation=participation).pk == outcome.second.pk


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_step_on_a_report_is_not_held_up_by_an_upload_holding_the_citys_lock():
    """An upload locks the city, then the reports of its years. A step on a report (a save, a
    submission, a reviewer's approval) locks only the report: had it locked the participation
    and the city too, as a join does by default, it would wait here, and an upload then
    waiting on that report would make a deadlock (one of the two a server error)."""
    participation, official = _city_and_official()
    march = reporting.report_create(participation=participation, period=MARCH, by=official)

    outcome = at_once(
        lambda: reporting.city_reports_lock(participation),
        lambda: reporting.report_values_set(
            report=march, values={"pledge_projects": "6"}, version=march.version, by=official
        ),
    )

    assert not outcome.second_waited, "the save waited on the upload's lock on the city"
    assert isinstance(outcome.second, Report), outcome
    assert MetricValue.objects.get(report=march).value == 6


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_batches_opening_one_period_of_their_city_at_once_get_a_clear_refusal():
    """A city in two batches reports a period once. Its officials of both batches opening the
    same period at the same moment: the later one is told which batch reports it (before, its
    insert met the one report a city and period constraint: a server error)."""
    in_2020, official = _city_and_official()
    batch = Programme.objects.get(code="2019")
    with_the_2020_rules(batch)
    in_2019 = ParticipationFactory(
        programme=batch,
        city=in_2020.city,
        total_amount=Decimal("150000000.00"),
        first_tranche=Decimal("100000000.00"),
    )
    OfficialAssignment.objects.create(user=official, participation=in_2019)

    outcome = at_once(
        lambda: reporting.report_create(participation=in_2020, period=MARCH, by=official),
        lambda: reporting.report_create(participation=in_2019, period=MARCH, by=official),
    )

    assert outcome.second_waited, outcome
    assert isinstance(outcome.first, Report), outcome
    refused = outcome.second
    assert isinstance(refused, WorkflowError), outcome
    (error,) = refused.errors
    assert error.field == "period" and "2020" in str(error.reason), error
    assert Report.objects.get().participation == in_2020


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_citys_lock_holds_the_citys_row_and_no_other():
    """Not its participation's, nor its programme's, which every city shares (a lock taken
    through a join, as a participation's default order makes one, locks the joined rows too).
    (Every audited write of any city still waits for the ledger's turn: one chain.)"""
    from evaluation.models import Participation
    from evaluation.models.cities import City

    participation = ParticipationFactory(programme=Programme.objects.get(code="2020"))
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                reporting.city_reports_lock(participation)
                locked.set()
                release.wait(20)
        finally:
            locked.set()
            connections.close_all()

    one = threading.Thread(target=hold)
    one.start()
    try:
        assert locked.wait(20)
        assert locked_against_update(City.objects.filter(pk=participation.city_id))
        assert not locked_against_update(Programme.objects.filter(pk=participation.programme_id))
        assert not locked_against_update(Participation.objects.filter(pk=participation.pk))
    finally:
        release.set()
        one.join(20)
