"""Two requests at the same moment, for real, on PostgreSQL: the first does its work in a
transaction held open until the second is under way; the second runs on its own connection
meanwhile. What each gave (or raised) is returned, and whether the second finished before the
first was let go. (SQLite takes one writer at a time: the two never meet.)"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections, transaction


@dataclass
class Outcome:
    first: object
    second: object
    second_finished_alone: bool


def at_once(
    first: Callable[[], object], second: Callable[[], object], wait: float = 1.0
) -> Outcome:
    results: dict[str, object] = {}
    done, release = threading.Event(), threading.Event()

    def run_first() -> None:
        try:
            with transaction.atomic():
                results["first"] = first()
                done.set()
                release.wait(20)
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
    one.start()
    assert done.wait(20)
    two = threading.Thread(target=run_second)
    two.start()
    two.join(wait)
    alone = not two.is_alive()
    release.set()
    one.join(20)
    two.join(20)
    return Outcome(results.get("first"), results.get("second"), alone)
