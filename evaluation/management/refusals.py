"""A domain refusal met by a command is a ``CommandError`` in the command's language (a line
per reason, a non-zero exit status), never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from evaluation.exceptions import Forbidden, ImportRefused, NoRuleset, NotFound, WorkflowError


def refusal_text(exc: Exception) -> str:
    """Every reason of a refusal, as a command prints it."""
    if isinstance(exc, ImportRefused):
        return exc.report()
    if isinstance(exc, WorkflowError):
        return "\n".join(error.reason for error in exc.errors)
    if isinstance(exc, ValidationError):
        return "\n".join(exc.messages)
    return str(exc) or _("not found")


@contextmanager
def refusals_as_errors() -> Iterator[None]:
    try:
        yield
    except (ImportRefused, WorkflowError, NoRuleset, NotFound, Forbidden, ValidationError) as exc:
        raise CommandError(refusal_text(exc)) from None
