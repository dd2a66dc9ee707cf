"""Statements PostgreSQL plans once per connection and keeps, for the few read on every request
whose planning costs more than their running (the portal dashboard's version).

Django's own cursors bind parameters on the client and never prepare (and Django turns
psycopg's ``prepare_threshold`` off; ``config.settings.base.database`` turns it back on, which
changes nothing for those cursors). ``fetch_all_prepared`` runs its statement on psycopg's
server-binding cursor told to prepare, wrapped as Django wraps its own: errors translated,
queries logged and counted like any other. On SQLite, with ``DATABASE_PREPARED_STATEMENTS``
off (behind a pooler in transaction mode), and on a connection that has lost its prepared
statements, it is a plain query."""

from __future__ import annotations

import weakref
from typing import Any

import psycopg
from django.conf import settings
from django.db import ProgrammingError, connection
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


class _PreparingCursor(psycopg.Cursor):
    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        return super().execute(query, params, prepare=True)


class _LoggedPreparingCursor(CursorDebugWrapper):
    """Logged as the statement was written, with its parameters: a prepared statement leaves
    psycopg no text of its own for Django's log to show."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.debug_sql(sql, params):
            return CursorWrapper.execute(self, sql, params)


# Connections whose prepared statements the server dropped behind psycopg's back.
_UNPREPARED: weakref.WeakSet[Any] = weakref.WeakSet()


def _prepared_cursor() -> Any:
    if (
        connection.vendor != "postgresql"
        or not settings.DATABASE_PREPARED_STATEMENTS
        or connection.connection in _UNPREPARED
    ):
        return connection.cursor()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = _PreparingCursor(connection.connection)
    if connection.queries_logged:
        return _LoggedPreparingCursor(raw, connection)
    return CursorWrapper(raw, connection)


def fetch_all_prepared(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Rows of ``sql``, prepared where it can be. A prepared statement the server no longer has
    (``DISCARD ALL`` or ``DEALLOCATE`` from a pooler, unseen by psycopg) would fail every
    later request on the connection: the statement is run again unprepared, and the
    connection is not asked to prepare again. Inside a transaction the failure has aborted it,
    so the error stands, and the next transaction of the connection runs unprepared."""
    try:
        with _prepared_cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
    except ProgrammingError as error:
        if not isinstance(error.__cause__, psycopg.errors.InvalidSqlStatementName):
            raise
        _UNPREPARED.add(connection.connection)
        if connection.in_atomic_block:
            raise
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())
