"""The domain's refusals, in one module, so every way in (API, admin, portal, commands, tasks)
catches the same classes and turns them into its own answer (a status code, a message).

The pure scoring core keeps its own errors (``evaluation.scoring.engine.EvaluationError`` and
``evaluation.scoring.periods.PeriodError``) because it imports nothing from the rest of the
project; everything above it raises these.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext

if TYPE_CHECKING:
    from evaluation.models import Programme, Report, Ruleset


class Reason(str):
    """A refusal's sentence in the reader's language that also carries its machine-readable
    ``code`` (``period_closed``, ``not_a_number``…): the input rules return one, and the error
    that carries it to the user (``FieldError``, ``RowError``) takes the code from it, so a
    client tells refusals apart by their code, never by their words."""

    code: str

    def __new__(cls, text: str, code: str) -> Reason:
        made = super().__new__(cls, text)
        made.code = code
        return made


def code_of(reason: str, default: str = "invalid") -> str:
    """The code a reason carries (``default`` for a plain sentence)."""
    return getattr(reason, "code", default)


def reason_of(error: Exception) -> str:
    """The reason an input rule raised as ``ValueError(Reason(…))``, code included."""
    first = error.args[0] if error.args else ""
    return first if isinstance(first, Reason) else str(error)


class NotFound(Exception):
    """The object does not exist, or the user may not know it does (another city's data)."""


class Forbidden(Exception):
    """The user may see the object but not do this to it (an official approving a report)."""


class Unavailable(Exception):
    """What is asked for cannot be had now (a document of a run that has not finished, a
    decision record before its run is signed off): a conflict with the state of things, 409.
    The outputs' own refusals are of this kind, so every way in answers them alike."""


class NoRuleset(Exception):
    """The programme has no ruleset to evaluate or check targets against."""

    def __init__(self, programme: Programme) -> None:
        super().__init__(
            gettext(
                "programme %(programme)s has no ruleset yet: an administrator adds one in the "
                "admin (Rulesets, Add ruleset) before its figures can be entered or evaluated"
            )
            % {"programme": programme.code}
        )


@dataclass(frozen=True)
class FieldError:
    """Why one field of a request is refused (``field`` None: the request as a whole), with a
    machine-readable ``code`` (taken from a ``Reason`` when not given)."""

    field: str | None
    reason: str
    code: str = dataclass_field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.code:
            object.__setattr__(self, "code", code_of(self.reason))

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "code": self.code, "reason": str(self.reason)}


class WorkflowError(Exception):
    """A request that breaks a rule; ``errors`` names every field at fault."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in errors))


class Locked(WorkflowError):
    """The report cannot change now (approved, submitted, or its period is closed)."""

    def __init__(self, reason: str, code: str = "") -> None:
        super().__init__([FieldError(None, reason, code or code_of(reason, "locked"))])


class StaleVersion(WorkflowError):
    """The change is based on a version of the report that has moved on since."""

    def __init__(self, report: Report, given: int) -> None:
        super().__init__(
            [
                FieldError(
                    "version",
                    gettext(
                        "the report has changed since version %(given)s: it is now version "
                        "%(version)s; reload it and apply your change again"
                    )
                    % {"given": given, "version": report.version},
                    "stale_version",
                )
            ]
        )


@dataclass(frozen=True)
class RowError:
    """Why one row (or the header, line 1) is refused. ``line`` is the line in a CSV file or
    the row in the spreadsheet, 0 for the file as a whole (its size, its kind); ``column`` is
    None when the whole row is at fault; ``code`` is machine-readable (taken from a ``Reason``
    when not given)."""

    line: int
    column: str | None
    reason: str
    code: str = dataclass_field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.code:
            object.__setattr__(self, "code", code_of(self.reason))

    def __str__(self) -> str:
        if not self.line:
            return gettext("the file: %(reason)s") % {"reason": self.reason}
        if self.column:
            return gettext("line %(line)s, column %(column)s: %(reason)s") % {
                "line": self.line,
                "column": self.column,
                "reason": self.reason,
            }
        return gettext("line %(line)s: %(reason)s") % {"line": self.line, "reason": self.reason}

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "reason": str(self.reason),
        }


class ImportRefused(Exception):
    """The whole file is refused; ``errors`` names the bad rows (at most
    ``UPLOAD_ERRORS_SHOWN`` of them, the first by line; ``more`` counts the others). Nothing
    was saved."""

    def __init__(self, source: str, errors: Iterable[RowError]) -> None:
        from django.conf import settings

        self.source = source
        every = sorted(errors, key=lambda e: (e.line, e.column or "", e.reason))
        shown = max(1, settings.UPLOAD_ERRORS_SHOWN)
        self.errors = every[:shown]
        self.more = len(every) - len(self.errors)
        super().__init__(
            gettext("%(file)s: refused, %(count)s error(s)") % {"file": source, "count": len(every)}
        )

    def more_text(self) -> str:
        """ "and 1,234 more errors" when the list was cut short, else ""."""
        if not self.more:
            return ""
        return ngettext(
            "and %(count)s more error, not listed",
            "and %(count)s more errors, not listed",
            self.more,
        ) % {"count": self.more}

    def report(self) -> str:
        lines = [
            gettext("%(file)s: file refused, nothing was saved. %(count)s error(s):")
            % {"file": self.source, "count": len(self.errors) + self.more}
        ]
        lines += [f"  {error}" for error in self.errors]
        if self.more:
            lines.append(f"  {self.more_text()}")
        return "\n".join(lines)


class FileRefused(ImportRefused):
    """The file as a whole cannot be read (too large, not a CSV or XLSX file, damaged, empty):
    one reason about the file, no row to point at. Its one error is on line 0, "the file", so
    every way in that lists rows still shows it; a page can say it of the file instead."""

    def __init__(self, source: str, reason: str, code: str) -> None:
        self.reason = reason
        super().__init__(source, [RowError(0, None, reason, code)])


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
