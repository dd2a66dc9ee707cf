"""Two requests at the same moment, for real, on PostgreSQL: the first does its work in a
transaction held open; the second runs on its own connection meanwhile, and the first is let
go only once the second waits on a lock the first holds (seen in ``pg_stat_activity``), so a
test of a race is never won by the second simply arriving late. What each gave (or raised) is
returned, and whether the second waited. (SQLite takes one writer at a time: the two never
meet.)"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, connections, transaction


@dataclass
class Outcome:
    first: object
    second: object
    second_waited: bool


def _someone_waits_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        (count,) = cursor.fetchone()
    return bool(count)


def at_once(
    first: Callable[[], object], second: Callable[[], object], patience: float = 20.0
) -> Outcome:
    results: dict[str, object] = {}
    done, release = threading.Event(), threading.Event()

    def run_first() -> None:
        try:
            with transaction.atomic():
                results["first"] = first()
                done.set()
                release.wait(patience)
        except Exception as error:
            results["first"] = error
        finally:
            done.set()
            connections.close_all()

    def run_second() -> None:
        try:
            results["second"] = second()
        except Exception as error:
            results["second"] = error
        finally:
            connections.close_all()

    one = threading.Thread(target=run_first)
    two = threading.Thread(target=run_second)
    waited = False
    one.start()
    try:
        assert done.wait(patience), "the first request did not finish its work"
        two.start()
        deadline = time.monotonic() + patience
        while two.is_alive() and time.monotonic() < deadline:
            if _someone_waits_on_a_lock():
                waited = True
                break
            time.sleep(0.02)
    finally:
        release.set()
        one.join(patience)
        if two.is_alive() or two.ident is not None:
            two.join(patience)
    return Outcome(results.get("first"), results.get("second"), waited)


def locked_against_update(queryset) -> bool:  # type: ignore[no-untyped-def]
    """Whether another transaction holds a lock on a row of ``queryset`` that ``FOR UPDATE``
    must wait for (asked without waiting, on this thread's own connection)."""
    from django.db import DatabaseError

    try:
        with transaction.atomic():
            list(queryset.select_for_update(nowait=True, of=("self",)).order_by())
    except DatabaseError:
        return True
    return False
