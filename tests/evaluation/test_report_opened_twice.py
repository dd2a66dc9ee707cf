"""Two requests opening the same period's report at the same moment (a second click on 保存, a
provincial system retrying its call) get the same report, not a server error: the database
keeps one report a period and city, and the second request finds the first one's report once
it is committed. Real concurrency needs two connections to one database that lock each other:
PostgreSQL (SQLite takes one writer at a time, so the two never meet). Committed for real, so
the data the migrations ship is restored afterwards for the tests that follow
(``serialized_rollback``), as for every other test of real transactions here."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from evaluation.models import OfficialAssignment, Report
from evaluation.scoring import Period
from evaluation.services import reporting
from tests.factories import ParticipationFactory, UserFactory

MARCH = Period.parse("2021-03")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_requests_opening_one_period_get_the_same_report():
    if connection.vendor != "postgresql":
        pytest.skip("needs two connections that lock each other: PostgreSQL")
    from evaluation.models import Programme

    participation = ParticipationFactory(programme=Programme.objects.get(code="2020"))
    official = UserFactory(username="li.wei")
    OfficialAssignment.objects.create(user=official, participation=participation)
    opened, release = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                results["first"] = reporting.report_create(
                    participation=participation, period=MARCH, by=official
                )
                opened.set()
                release.wait(20)  # committed only once the second request is under way
        except Exception as error:
            results["first"] = error
        finally:
            opened.set()
            connections.close_all()

    def second() -> None:
        try:
            results["second"] = reporting.report_create(
                participation=participation, period=MARCH, by=official
            )
        except Exception as error:
            results["second"] = error
        finally:
            connections.close_all()

    one = threading.Thread(target=first)
    one.start()
    assert opened.wait(20)
    two = threading.Thread(target=second)
    two.start()
    two.join(1.0)
    assert two.is_alive(), results  # waiting on the first request's uncommitted report
    release.set()
    one.join(20)
    two.join(20)

    assert isinstance(results["first"], Report), results
    assert isinstance(results["second"], Report), results
    assert results["second"].pk == results["first"].pk
    assert Report.objects.filter(participation=participation).count() == 1
    assert Report.history.filter(participation=participation).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_upload_and_a_form_save_opening_one_period_at_once_fill_the_same_report():
    """The form opens March and has not committed; the upload of a file with March waits for
    it, then fills the report the form opened (before, its insert met the constraint: a server
    error, the file lost)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs two connections that lock each other: PostgreSQL")
    from evaluation.models import MetricValue, Programme
    from tests.conftest import csv_bytes

    participation = ParticipationFactory(programme=Programme.objects.get(code="2020"))
    official = UserFactory(username="li.wei")
    OfficialAssignment.objects.create(user=official, participation=participation)
    code = participation.city.code
    data = csv_bytes(
        "city_code,period,indicator,value",
        f"{code},2021-03,pledge_projects,4",
        f"{code},2021-04,pledge_projects,5",
    )
    opened, release = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def form() -> None:
        try:
            with transaction.atomic():
                results["form"] = reporting.report_create(
                    participation=participation, period=MARCH, by=official
                )
                opened.set()
                release.wait(20)
        except Exception as error:
            results["form"] = error
        finally:
            opened.set()
            connections.close_all()

    def upload() -> None:
        try:
            results["upload"] = reporting.reports_upload(
                participation=participation, name="m.csv", data=data, by=official
            )
        except Exception as error:
            results["upload"] = error
        finally:
            connections.close_all()

    one = threading.Thread(target=form)
    one.start()
    assert opened.wait(20)
    two = threading.Thread(target=upload)
    two.start()
    two.join(1.0)
    assert two.is_alive(), results  # waiting until the form's request ends
    release.set()
    one.join(20)
    two.join(20)

    assert isinstance(results["form"], Report), results
    assert isinstance(results["upload"], dict), results
    assert results["upload"]["periods"] == ["2021-03", "2021-04"]
    march = Report.objects.get(participation=participation, number=3)
    assert march.pk == results["form"].pk
    assert Report.objects.filter(participation=participation).count() == 2
    assert MetricValue.objects.get(report=march).value == 4


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_form_save_opening_a_period_an_upload_is_opening_gets_the_uploads_report():
    """The other order. (The code before the city's lock passed this too: its insert waited on
    the upload's uncommitted report and, on the constraint, read it back.)"""
    if connection.vendor != "postgresql":
        pytest.skip("needs two connections that lock each other: PostgreSQL")
    from evaluation.models import Programme
    from tests.conftest import csv_bytes

    participation = ParticipationFactory(programme=Programme.objects.get(code="2020"))
    official = UserFactory(username="li.wei")
    OfficialAssignment.objects.create(user=official, participation=participation)
    data = csv_bytes(
        "city_code,period,indicator,value", f"{participation.city.code},2021-03,pledge_projects,4"
    )
    loaded, release = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def upload() -> None:
        try:
            with transaction.atomic():
                results["upload"] = reporting.reports_upload(
                    participation=participation, name="m.csv", data=data, by=official
                )
                loaded.set()
                release.wait(20)
        except Exception as error:
            results["upload"] = error
        finally:
            loaded.set()
            connections.close_all()

    def form() -> None:
        try:
            results["form"] = reporting.report_create(
                participation=participation, period=MARCH, by=official
            )
        except Exception as error:
            results["form"] = error
        finally:
            connections.close_all()

    one = threading.Thread(target=upload)
    one.start()
    assert loaded.wait(20)
    two = threading.Thread(target=form)
    two.start()
    two.join(1.0)
    assert two.is_alive(), results
    release.set()
    one.join(20)
    two.join(20)

    assert isinstance(results["upload"], dict), results
    assert isinstance(results["form"], Report), results
    assert Report.objects.get(participation=participation).pk == results["form"].pk


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_step_on_a_report_is_not_held_up_by_an_upload_holding_the_citys_lock():
    """An upload locks the city's participation, then the reports of its years. A step on a
    report (a save, a submission, a reviewer's approval) locks only the report: had it locked
    the participation too, as a join does by default, it would wait here, and an upload then
    waiting on that report would make a deadlock (one of the two a server error)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs two connections that lock each other: PostgreSQL")
    from evaluation.models import MetricValue, Programme

    participation = ParticipationFactory(programme=Programme.objects.get(code="2020"))
    official = UserFactory(username="li.wei")
    OfficialAssignment.objects.create(user=official, participation=participation)
    march = reporting.report_create(participation=participation, period=MARCH, by=official)
    locked, release = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def upload() -> None:
        try:
            with transaction.atomic():
                reporting.city_reports_lock(participation)
                locked.set()
                release.wait(20)
        finally:
            locked.set()
            connections.close_all()

    def save() -> None:
        try:
            results["save"] = reporting.report_values_set(
                report=march, values={"pledge_projects": "6"}, version=march.version, by=official
            )
        except Exception as error:
            results["save"] = error
        finally:
            connections.close_all()

    one = threading.Thread(target=upload)
    one.start()
    assert locked.wait(20)
    two = threading.Thread(target=save)
    two.start()
    two.join(10)
    finished = not two.is_alive()
    release.set()
    one.join(20)
    two.join(20)

    assert finished, "the save waited on the upload's lock on the city"
    assert isinstance(results["save"], Report), results
    assert MetricValue.objects.get(report=march).value == 6
