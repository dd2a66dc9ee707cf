"""A write that two requests make at the same moment (a second click, a retried call).

A service that reads whether a row exists and inserts it when it does not can lose a race:
both requests find none, the database keeps the first insert (a unique constraint), and the
second's insert fails once the first commits. Asked again, the service finds the row the first
inserted and goes on as for any existing row (the same values: nothing to do; others: a
change, checked as ever). ``once_more_after_a_race`` asks it again, once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import IntegrityError, transaction

P = ParamSpec("P")
R = TypeVar("R")


def once_more_after_a_race(service: Callable[P, R]) -> Callable[P, R]:
    """Run ``service`` in a savepoint; if the database refuses its insert (the row was
    inserted meanwhile by a request now committed), run it once more, which finds that row.
    A refusal that was not a race happens again the second time and is raised."""

    @functools.wraps(service)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            with transaction.atomic():
                return service(*args, **kwargs)
        except IntegrityError:
            with transaction.atomic():
                return service(*args, **kwargs)

    return run
