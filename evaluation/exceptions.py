"""The domain's refusals, in one module, so every way in (API, admin, portal, commands, tasks)
catches the same classes and turns them into its own answer (a status code, a message).

The pure scoring core keeps its own errors (``evaluation.scoring.engine.EvaluationError`` and
``evaluation.scoring.periods.PeriodError``) because it imports nothing from the rest of the
project; everything above it raises these.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

if TYPE_CHECKING:
    from evaluation.models import Programme, Report, Ruleset


class NotFound(Exception):
    """The object does not exist, or the user may not know it does (another city's data)."""


class Forbidden(Exception):
    """The user may see the object but not do this to it (an official approving a report)."""


class NoRuleset(Exception):
    """The programme has no ruleset to evaluate or check targets against."""

    def __init__(self, programme: Programme) -> None:
        super().__init__(f"programme {programme.code} has no ruleset: create one before evaluating")


@dataclass(frozen=True)
class FieldError:
    """Why one field of a request is refused (``field`` None: the request as a whole)."""

    field: str | None
    reason: str


class WorkflowError(Exception):
    """A request that breaks a rule; ``errors`` names every field at fault."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in errors))


class Locked(WorkflowError):
    """The report cannot change now (approved, submitted, or its period is closed)."""

    def __init__(self, reason: str) -> None:
        super().__init__([FieldError(None, reason)])


class StaleVersion(WorkflowError):
    """The change is based on a version of the report that has moved on since."""

    def __init__(self, report: Report, given: int) -> None:
        super().__init__(
            [
                FieldError(
                    "version",
                    f"the report has changed since version {given}: it is now version "
                    f"{report.version}; reload it and apply your change again",
                )
            ]
        )


@dataclass(frozen=True)
class RowError:
    """Why one row (or the header, line 1) is refused. ``line`` is the line in a CSV file or
    the row in the spreadsheet; ``column`` is None when the whole row is at fault."""

    line: int
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "reason": self.reason}


class ImportRefused(Exception):
    """The whole file is refused; ``errors`` names every bad row. Nothing was saved."""

    def __init__(self, source: str, errors: Iterable[RowError]) -> None:
        self.source = source
        self.errors = sorted(errors, key=lambda e: (e.line, e.column or "", e.reason))
        super().__init__(f"{source}: refused, {len(self.errors)} error(s)")

    def report(self) -> str:
        lines = [f"{self.source}: file refused, nothing was saved. {len(self.errors)} error(s):"]
        lines += [f"  {error}" for error in self.errors]
        return "\n".join(lines)


class FrozenRulesetError(ValidationError):
    """A ruleset an evaluation has used does not change, whoever asks."""

    def __init__(self, ruleset: Ruleset) -> None:
        super().__init__(
            gettext(
                "ruleset %(ruleset)s has been used by an evaluation run and cannot change; "
                "revise it to make a new version"
            )
            % {"ruleset": ruleset.label}
        )
