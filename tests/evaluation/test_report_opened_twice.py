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
