"""Evidence (佐证材料) on a city's report and its values: an official attaches files, several
per value, and removes one while the report is still the city's to change; never a file on an
approved value. Each file's type is read from its content (``filetype``: PDF, images, Office
files, ZIP), its size is checked against the limits per file and per report before anything is
written, and its SHA-256 is kept on the record, in its history row and in the ledger, in the
same transaction. A refused file changes nothing and says why in the reader's language.

The same check serves every other file of evidence (a rectification answer's, a checker's
verified value's, an expenditure's): ``evidence_file_errors`` gives its refusals beside the
form's others, ``evidence_file_stored`` the name and bytes to keep, its digest in front."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext

from evaluation import selectors
from evaluation.access import require_official_of
from evaluation.exceptions import FieldError, Locked, Reason, WorkflowError
from evaluation.models import Evidence, MetricValue, Report
from evaluation.reasons import history_reason
from evaluation.services.audit import audited_save
from evaluation.services.reporting import _check_step, _locked_report

# What a file of evidence may be, by the type its content shows: documents, pictures, Office
# files (a .docx or .xlsx is a ZIP inside: accepted by its content either way), archives.
KINDS = (
    "pdf",
    "jpg",
    "png",
    "gif",
    "webp",
    "tif",
    "bmp",
    "heic",
    "doc",
    "docx",
    "xls",
    "xlsx",
    "ppt",
    "pptx",
    "odt",
    "ods",
    "odp",
    "rtf",
    "zip",
)
NAME_LENGTH = 200
MB = 1024 * 1024


@dataclass(frozen=True)
class CheckedFile:
    """An uploaded file that passed the checks: its name, bytes, type and digest."""

    name: str
    content: bytes
    kind: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)


def _megabytes(limit: float) -> str:
    return f"{limit:g}"


def evidence_file_check(
    upload: UploadedFile, *, field: str = "file", limit_mb: float | None = None
) -> CheckedFile:
    """The file's size (before it is read) and type (from its content), or a refusal naming
    ``field``."""
    limit = settings.EVIDENCE_MAX_FILE_MB if limit_mb is None else limit_mb
    if (upload.size or 0) > limit * MB:
        raise WorkflowError(
            [
                FieldError(
                    field,
                    gettext("a file of evidence is at most %(limit)s MB; this one has %(size)s MB")
                    % {"limit": _megabytes(limit), "size": f"{(upload.size or 0) / MB:.1f}"},
                    "evidence_too_large",
                )
            ]
        )
    # From its start, whatever read it before (a save asked once more after a race reads the
    # same upload again).
    upload.seek(0)
    content = upload.read()
    if len(content) > limit * MB:  # a size the client misstated
        raise WorkflowError(
            [
                FieldError(
                    field,
                    gettext("a file of evidence is at most %(limit)s MB")
                    % {"limit": _megabytes(limit)},
                    "evidence_too_large",
                )
            ]
        )
    if not content:
        raise WorkflowError([FieldError(field, gettext("the file is empty"), "evidence_empty")])
    guessed = filetype.guess(content)
    kind = guessed.extension if guessed is not None else ""
    if kind not in KINDS:
        raise WorkflowError(
            [
                FieldError(
                    field,
                    gettext(
                        "this file is not one of the kinds of evidence accepted (PDF, pictures, "
                        "Word, Excel or PowerPoint files, ZIP); its content reads as %(kind)s"
                    )
                    % {"kind": kind or gettext("unknown")},
                    "evidence_type",
                )
            ]
        )
    name = PurePath((upload.name or "evidence").replace("\\", "/")).name
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip() or f"evidence.{kind}"
    return CheckedFile(name[-NAME_LENGTH:], content, kind, hashlib.sha256(content).hexdigest())


def evidence_file_errors(
    upload: UploadedFile | None, *, field: str = "evidence_file", limit_mb: float | None = None
) -> tuple[CheckedFile | None, list[FieldError]]:
    """An optional file of evidence checked as :func:`evidence_file_check` does, its refusal
    given back (not raised) so a form names it beside its other fields' errors."""
    if upload is None:
        return None, []
    try:
        return evidence_file_check(upload, field=field, limit_mb=limit_mb), []
    except WorkflowError as refused:
        return None, list(refused.errors)


def evidence_file_stored(checked: CheckedFile) -> tuple[str, ContentFile[bytes]]:
    """The name a checked file is kept under (its digest's first 12 digits before its own
    name, so two files of one name never replace each other) and its bytes."""
    return f"{checked.sha256[:12]}-{checked.name[-150:]}", ContentFile(checked.content)


def _value_of(report: Report, indicator: str) -> MetricValue:
    value = (
        # The value's row only, not its indicator's (shared by every city).
        MetricValue.objects.select_for_update(of=("self",))
        .select_related("indicator")
        .filter(
            city_id=report.city_id,
            year=report.year,
            granularity=report.granularity,
            number=report.number,
            indicator__code=indicator,
        )
        .first()
    )
    if value is None:
        raise WorkflowError(
            [
                FieldError(
                    "indicator",
                    gettext("save a value for %(code)s first, then attach its evidence")
                    % {"code": indicator},
                    "value_missing",
                )
            ]
        )
    return value


def _value_locked(value: MetricValue, report: Report) -> None:
    """A value approved, or (in a report whose single values were returned) one not returned,
    is not the city's to change: nor is its evidence."""
    if value.status == MetricValue.Status.APPROVED:
        raise Locked(
            Reason(
                gettext(
                    "%(code)s for %(period)s is approved: its evidence cannot change; a reviewer "
                    "must reopen the report first"
                )
                % {"code": value.indicator.code, "period": report.period},
                "evidence_value_approved",
            )
        )
    returned = selectors.open_value_returns(report_id=report.pk)
    if returned and value.pk not in returned:
        raise Locked(
            Reason(
                gettext(
                    "the reviewer returned single values of this report: only those may change "
                    "(%(codes)s)"
                )
                % {"codes": ", ".join(sorted(r.value.indicator.code for r in returned.values()))},
                "value_not_returned",
            )
        )


@transaction.atomic
def evidence_attach(
    *, report: Report, indicator: str | None, upload: UploadedFile, by: User
) -> Evidence:
    """Attach ``upload`` to ``report`` (``indicator`` None or "") or to its value of
    ``indicator``, while the report is the city's to change. Every check comes before anything
    is written: a refused file leaves no trace."""
    require_official_of(by, report.participation)
    report = _locked_report(report)
    _check_step(report, "edit", by=by)
    value = None
    if indicator:
        value = _value_of(report, indicator)
        _value_locked(value, report)
    checked = evidence_file_check(upload)
    kept = (
        Evidence.objects.filter(report=report, removed_at__isnull=True).aggregate(n=Sum("size"))[
            "n"
        ]
        or 0
    )
    limit = settings.EVIDENCE_MAX_REPORT_MB
    if kept + checked.size > limit * MB:
        raise WorkflowError(
            [
                FieldError(
                    "file",
                    gettext(
                        "a report's evidence is at most %(limit)s MB in all; it holds %(kept)s MB "
                        "and this file would add %(size)s MB"
                    )
                    % {
                        "limit": _megabytes(limit),
                        "kept": f"{kept / MB:.1f}",
                        "size": f"{checked.size / MB:.1f}",
                    },
                    "evidence_report_full",
                )
            ]
        )
    evidence = Evidence(
        report=report,
        value=value,
        name=checked.name,
        kind=checked.kind,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=by,
        uploaded_at=timezone.now(),
    )
    evidence.file.save(checked.name, ContentFile(checked.content), save=False)
    return audited_save(
        evidence, by=by, reason=history_reason("evidence_attached", sha256=checked.sha256)
    )


@transaction.atomic
def evidence_remove(*, evidence: Evidence, by: User) -> Evidence:
    """Mark a file removed (it stays kept, with its digest, for the record). Refused on an
    approved value, and whenever the report is not the city's to change. Removing a removed
    file changes nothing."""
    report = _locked_report(evidence.report)
    require_official_of(by, report.participation)
    evidence = (
        Evidence.objects.select_for_update(of=("self",))
        .select_related("value__indicator")
        .get(pk=evidence.pk)
    )
    if evidence.removed_at is not None:
        return evidence
    if evidence.value is not None:
        _value_locked(evidence.value, report)
    _check_step(report, "edit", by=by)
    evidence.removed_by, evidence.removed_at = by, timezone.now()
    return audited_save(
        evidence, by=by, reason=history_reason("evidence_removed", sha256=evidence.sha256)
    )
