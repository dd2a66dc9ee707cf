"""Reads streamed to their end through server-side cursors (``QuerySet.iterator()`` on
PostgreSQL), planned for their whole result.

PostgreSQL plans a cursor for its first tenth of rows (``cursor_tuple_fraction``), which with
the statistics of rows just written (a run's results, before autovacuum has counted them) can
choose a nested loop that reads one table once per row of another: writing the 3,000-city run
document took 10 s, of which 8.6 s planning-driven waiting on its two cursors, against 0.1 s for
the same statement read whole. Within ``streamed()`` the transaction plans them for every row,
as a plain query would be; a no-op elsewhere (SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def streamed() -> Iterator[None]:
    with transaction.atomic():
        if connection.vendor != "postgresql":
            yield
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('cursor_tuple_fraction')")
            (before,) = cursor.fetchone()
            cursor.execute("SELECT set_config('cursor_tuple_fraction', '1', true)")
        yield
        # Nested in a caller's transaction this block is a savepoint, and releasing it keeps a
        # transaction-local setting until the whole transaction ends: put the caller's back.
        # (When the block fails, the savepoint's rollback undoes the setting itself.)
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('cursor_tuple_fraction', %s, true)", [before])
