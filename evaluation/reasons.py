"""Why a change was made, as the history rows keep it, and said in the reader's language.

Every audited write records a reason with its history row (who, when, why). The services
write it as a short English phrase with its figures ("report 3 values set", "import_metrics
synthetic-metrics.csv --approve"): stored texts are English data, translated when shown
(README, "Calls made"), and rows written before this module keep reading as they did. Each
phrase is written once, here: the services make it with :func:`history_reason` (a code and
its figures), and the pages read it back with :func:`reason_words`, which finds the code and
figures again and says them as a sentence of the active language. A stored reason no phrase
matches (written by hand, or by an older version) is shown as it was stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _


@dataclass(frozen=True)
class HistoryReason:
    """One reason: ``stored`` is the English phrase kept in the history (``{name}`` for each
    figure), ``words`` the sentence a reader sees (``%(name)s``), marked for the catalogue."""

    code: str
    stored: str
    words: str

    @property
    def pattern(self) -> re.Pattern[str]:
        return _pattern(self.stored)


@cache
def _pattern(stored: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", stored)
    regex = "".join(
        re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)"
        for index, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$", re.S)


REASONS = (
    # A city's report and its values (services/reporting.py).
    HistoryReason("report_created", "report created", _("report opened")),
    HistoryReason(
        "report_values_set",
        "report {report} values set",
        _("figures entered in report #%(report)s"),
    ),
    HistoryReason(
        "report_values_submitted",
        "report {report} submitted",
        _("submitted for review with report #%(report)s"),
    ),
    HistoryReason("report_submitted", "submitted", _("submitted for review")),
    HistoryReason(
        "report_values_approved",
        "report {report} approved",
        _("approved by a reviewer with report #%(report)s"),
    ),
    HistoryReason("report_approved", "approved", _("approved by a reviewer")),
    HistoryReason(
        "report_values_returned",
        "report {report} returned",
        _("returned to the city with report #%(report)s"),
    ),
    HistoryReason(
        "report_values_reopened",
        "report {report} reopened",
        _("reopened by a reviewer with report #%(report)s"),
    ),
    HistoryReason("report_returned", "returned: {text}", _("returned to the city: %(text)s")),
    HistoryReason("report_reopened", "reopened: {text}", _("reopened by a reviewer: %(text)s")),
    # The province's review of a report (services/reporting.py) and of a self-evaluation.
    HistoryReason(
        "report_values_forwarded",
        "report {report} forwarded",
        _("forwarded to the ministry by the province with report #%(report)s"),
    ),
    HistoryReason(
        "province_forwarded",
        "forwarded by the province: {text}",
        _("forwarded to the ministry by the province: %(text)s"),
    ),
    HistoryReason(
        "province_returned",
        "returned by the province: {text}",
        _("returned to the city by the province: %(text)s"),
    ),
    HistoryReason(
        "province_returned_values",
        "values returned by the province: {codes}",
        _("single values returned to the city by the province: %(codes)s"),
    ),
    # The city's self-evaluation (services/self_evaluation.py).
    HistoryReason("self_evaluation_begun", "self-evaluation begun", _("self-evaluation begun")),
    HistoryReason(
        "self_evaluation_computed",
        "self-evaluation figures computed",
        _("its figures computed by the evaluation's rules"),
    ),
    HistoryReason(
        "shortfall_explained", "shortfall explained", _("the reason for a shortfall written")
    ),
    HistoryReason("self_evaluation_saved", "self-evaluation saved", _("self-evaluation saved")),
    HistoryReason(
        "self_evaluation_submitted",
        "self-evaluation submitted",
        _("self-evaluation submitted for review"),
    ),
    HistoryReason(
        "self_evaluation_accepted", "accepted by the ministry", _("accepted by the ministry")
    ),
    HistoryReason(
        "report_values_returned_one_by_one",
        "values returned: {codes}",
        _("single values returned to the city: %(codes)s"),
    ),
    HistoryReason(
        "value_returned",
        "value returned in report {report}",
        _("a single value of report #%(report)s returned to the city"),
    ),
    HistoryReason("value_returns_answered", "resubmitted", _("resubmitted by the city")),
    HistoryReason(
        "evidence_attached",
        "evidence {sha256} attached",
        _("evidence attached (SHA-256 %(sha256)s)"),
    ),
    HistoryReason(
        "evidence_removed",
        "evidence {sha256} removed",
        _("evidence removed (SHA-256 %(sha256)s)"),
    ),
    HistoryReason(
        "comment_written",
        "{kind} written",
        _("a message in the report's conversation: %(kind)s"),
    ),
    # Files loaded by the ministry (services/imports.py): the most particular first.
    HistoryReason(
        "metrics_import_approved",
        "import_metrics {file} --approve",
        _("loaded by the ministry from the audited file %(file)s, approved"),
    ),
    HistoryReason(
        "metrics_import",
        "import_metrics {file}",
        _("loaded by the ministry from the file %(file)s, awaiting review"),
    ),
    HistoryReason(
        "cities_import",
        "import_cities {file} --programme {programme}",
        _("loaded from the file %(file)s for programme %(programme)s"),
    ),
    HistoryReason(
        "targets_import",
        "import_targets {file} --programme {programme}",
        _("committed targets loaded from the file %(file)s for programme %(programme)s"),
    ),
    # Rulesets (services/rulesets.py).
    HistoryReason(
        "ruleset_revised", "revised from {ruleset}", _("revised from ruleset %(ruleset)s")
    ),
    HistoryReason("ruleset_copied", "copied from {ruleset}", _("copied from ruleset %(ruleset)s")),
    # Runs (services/runs.py, services/recovery.py).
    HistoryReason("run_requested", "requested ({trigger})", _("requested (%(trigger)s)")),
    HistoryReason("run_started", "started: plan fixed", _("started: its plan fixed")),
    HistoryReason("run_failed", "failed", _("failed")),
    HistoryReason("run_restarted", "restarted by a reviewer", _("restarted by a reviewer")),
    HistoryReason(
        "run_start_resent",
        "sweep: start sent again after {seconds} s without progress",
        _("its start sent again after %(seconds)s seconds without progress"),
    ),
    HistoryReason(
        "run_chunks_resent",
        "sweep: chunks {chunks} sent again after {seconds} s without progress",
        _("chunks %(chunks)s sent again after %(seconds)s seconds without progress"),
    ),
    # Tranche decisions (services/runs.py, services/decisions.py).
    HistoryReason(
        "decision_recommended", "recommended by run #{run}", _("recommended by run #%(run)s")
    ),
    HistoryReason("decision_confirmed", "confirmed", _("confirmed")),
    HistoryReason("decision_overridden", "overridden: {text}", _("overridden: %(text)s")),
    HistoryReason(
        "run_finalised",
        "finalised: every decision signed off",
        _("finalised: every decision signed off"),
    ),
    # API tokens (services/tokens.py).
    HistoryReason("token_issued", "issued", _("issued")),
    HistoryReason("token_revoked", "revoked", _("revoked")),
    HistoryReason("token_signed_out", "signed out", _("revoked on signing out")),
)

BY_CODE = {reason.code: reason for reason in REASONS}

# A run's trigger is stored as its code; said in the reader's words (EvaluationRun.Trigger).
TRIGGERS = {
    "command": _("command line"),
    "schedule": _("schedule"),
    "api": _("API"),
    "admin": _("admin"),
}


# django-simple-history's change-reason column holds at most 100 characters.
REASON_LENGTH = 100


def history_reason(code: str, **figures: object) -> str:
    """The reason to store with a history row: the phrase of ``code`` with its figures.

    A reason longer than the history's column has its longest figure (a file's name) shortened
    to its end after an ellipsis, so that the words around it, which say what was done
    (``--approve``), are kept and the stored reason still reads as its phrase."""
    phrase = BY_CODE[code].stored
    text = phrase.format(**figures)
    over = len(text) - REASON_LENGTH
    texts = {name: value for name, value in figures.items() if isinstance(value, str)}
    if over <= 0 or not texts:
        return text
    longest = max(texts, key=lambda name: len(texts[name]))
    keep = len(texts[longest]) - over - 1
    if keep < 1:
        return text  # the phrase alone is too long: cut where it is stored
    return phrase.format(**{**figures, longest: "…" + texts[longest][-keep:]})


def reason_code(stored: str | None) -> tuple[str, dict[str, str]] | None:
    """The code and figures a stored reason was written from (None: no phrase matches)."""
    for reason in REASONS:
        if stored and (found := reason.pattern.match(stored)):
            return reason.code, found.groupdict()
    return None


def reason_words(stored: str | None) -> str:
    """A stored reason as a sentence in the active language ("" for none); one no phrase
    matches, as it was stored."""
    if not stored:
        return ""
    found = reason_code(stored)
    if found is None:
        return stored
    code, figures = found
    if "trigger" in figures:
        figures["trigger"] = gettext(TRIGGERS.get(figures["trigger"], figures["trigger"]))
    if "kind" in figures:
        # A message's kind in a report's conversation is stored as its code; its words are
        # the model's choices (imported here: the models do not depend on this module).
        from evaluation.models import ReportComment

        kinds = dict(ReportComment.Kind.choices)
        figures["kind"] = str(kinds.get(figures["kind"], figures["kind"]))
    return gettext(BY_CODE[code].words) % figures
