"""A write that two requests make at the same moment (a second click, a retried call).

A service that reads whether a row exists and inserts it when it does not can lose a race:
both requests find none, and the database keeps the first insert (a unique constraint). The
second learns it either from the model's check of that constraint before its insert, when the
first has committed by then (a ``ValidationError``), or from the insert itself, which waits
for the first and then fails (an ``IntegrityError``). Asked again, the service finds the row
the first inserted and goes on as for any existing row (the same values: nothing to do;
others: a change, checked as ever). ``once_more_after_a_race`` asks it again, once. It relies
on PostgreSQL's READ COMMITTED (each statement sees what was committed before it), Django's
default.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

P = ParamSpec("P")
R = TypeVar("R")


def once_more_after_a_race(service: Callable[P, R]) -> Callable[P, R]:
    """Run ``service`` in a savepoint; if the database or the model's constraint check refuses
    its insert (the row was inserted meanwhile by a request now committed), run it once more,
    which finds that row. A refusal that was not a race happens again the second time and is
    raised. (What the first attempt wrote to the database is rolled back with its savepoint;
    a file it stored stays, under its own name, as any file a refused request stored.)"""

    @functools.wraps(service)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            with transaction.atomic():
                return service(*args, **kwargs)
        except (IntegrityError, ValidationError):
            with transaction.atomic():
                return service(*args, **kwargs)

    return run
