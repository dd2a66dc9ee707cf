"""The dashboard's one query is prepared once per PostgreSQL connection. A server that drops
its prepared statements behind psycopg's back (a pooler's ``DISCARD ALL``) must not break the
page: the query runs again unprepared, and that connection stops preparing."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.cities.conftest import browser
from tests.integration.conftest import unavailable

# Autocommit, as a request runs (a failed statement must not abort a surrounding
# transaction); the shipped data restored afterwards.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def prepared_statements() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM pg_prepared_statements")
        return int(cursor.fetchone()[0])


@pytest.fixture
def postgresql(db):
    if connection.vendor != "postgresql":
        unavailable("prepared statements need PostgreSQL: set DATABASE_URL")


def test_the_query_is_prepared_once_and_reused(postgresql, official_a, city_a):
    client = browser(official_a)
    for _ in range(3):
        assert client.get(f"/city/{city_a.pk}/").status_code == 200
    assert prepared_statements() == 1


def test_a_dropped_prepared_statement_does_not_break_the_page(postgresql, official_a, city_a):
    client = browser(official_a)
    assert client.get(f"/city/{city_a.pk}/").status_code == 200
    assert prepared_statements() == 1
    # As a pooler in transaction mode does: on the server, unseen by psycopg (through libpq).
    connection.connection.pgconn.exec_(b"DEALLOCATE ALL")
    assert prepared_statements() == 0
    for _ in range(3):
        response = client.get(f"/city/{city_a.pk}/")
        assert response.status_code == 200
        assert "沈阳市" in response.content.decode()
    assert prepared_statements() == 0  # that connection no longer prepares
