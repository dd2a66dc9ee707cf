"""Rectification (整改) after the verdict: items opened when an official run is finalised, the
city's answer (measures taken, evidence), the reviewer's acceptance or return, and the
reminders before and after each item's due date. Every step is checked against the workflow
table (``workflow.RECTIFICATION``) and saved with its history row in one transaction.

Evidence: the city describes it in words and may attach one file, kept through Django's
storage (``MEDIA_ROOT``, never served as public media: only the access-checked pages send it)
with its SHA-256. Evidence files of their own (with their digests, for every figure) are the
hook for later: an item's file would then be one of those, linked instead of stored here.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from evaluation import workflow
from evaluation.access import require_official_of, require_reviewer
from evaluation.exceptions import FieldError, Locked, WorkflowError
from evaluation.models import (
    EvaluationRun,
    Participation,
    RectificationItem,
    RectificationReminder,
)
from evaluation.rectifications import run_shortfalls
from evaluation.services.audit import audited_bulk_create, audited_save
from evaluation.services.evidence import evidence_file_errors, evidence_file_stored
from evaluation.vocabulary import indicator_name

log = logging.getLogger(__name__)

LIFECYCLE = workflow.RECTIFICATION


def rectification_open(*, run: EvaluationRun, by: User | None) -> list[RectificationItem]:
    """Open the items a finalised official run leaves (``selectors``' ``run_shortfalls``: each
    indicator not met by a city graded below the ruleset's threshold), due the ruleset's
    ``rectification_days`` after the finalisation. Called in the transaction that finalises
    the run; opening twice opens nothing more."""
    if run.kind != EvaluationRun.Kind.OFFICIAL or run.finalised_at is None:
        return []
    shortfalls = run_shortfalls(run=run)
    if not shortfalls:
        return []
    finalised = timezone.localdate(run.finalised_at)
    due = finalised + dt.timedelta(days=run.ruleset.rectification_days)
    existing = set(
        RectificationItem.objects.filter(city_result__run=run).values_list(
            "indicator_result_id", flat=True
        )
    )
    return audited_bulk_create(
        [
            RectificationItem(
                city_result_id=shortfall.city_result_id,
                participation_id=shortfall.participation_id,
                indicator_result_id=shortfall.indicator_result_id,
                due_date=due,
            )
            for shortfall in shortfalls
            if shortfall.indicator_result_id not in existing
        ],
        RectificationItem,
        by=by,
        reason=f"opened: run #{run.pk} finalised",
    )


def _locked(item: RectificationItem) -> RectificationItem:
    return (
        RectificationItem.objects.select_for_update(of=("self",))
        .select_related("participation__city", "participation__programme")
        .get(pk=item.pk)
    )


def _refuse(step: str, item: RectificationItem) -> None:
    refusal = LIFECYCLE.refusal(step, item.status)
    if refusal is None:
        return
    if refusal.locked:
        raise Locked(refusal.reason, refusal.code)
    raise WorkflowError([FieldError(refusal.field, refusal.reason, refusal.code)])


@transaction.atomic
def rectification_answer(
    *,
    item: RectificationItem,
    measures: str,
    evidence_note: str,
    evidence: UploadedFile | None = None,
    by: User,
) -> RectificationItem:
    """The city's answer: the measures taken (required), the evidence in words and, if any, one
    file (replacing an earlier one; the earlier stays in the item's history and storage).
    The city's officials only, while the item awaits them (open, or returned); every refused
    field is named and nothing changes."""
    item = _locked(item)
    require_official_of(by, item.participation)
    _refuse("answer", item)
    errors: list[FieldError] = []
    missing = LIFECYCLE.missing("answer", measures)
    if missing is not None:
        errors.append(FieldError(missing.field, missing.reason, missing.code))
    checked, refused = evidence_file_errors(
        evidence, limit_mb=settings.RECTIFICATION_EVIDENCE_MAX_MB
    )
    errors += refused
    if errors:
        raise WorkflowError(errors)
    if checked is not None:
        item.evidence_file.save(*evidence_file_stored(checked), save=False)
        item.evidence_name, item.evidence_sha256 = checked.name, checked.sha256
    item.measures = measures.strip()
    item.evidence_note = evidence_note.strip()
    item.status = LIFECYCLE.target_of("answer")
    item.answered_by, item.answered_at = by, timezone.now()
    return audited_save(item, by=by, reason="answered")


@transaction.atomic
def rectification_accept(*, item: RectificationItem, by: User) -> RectificationItem:
    """A reviewer accepts the city's answer: the item is closed. Accepting again changes
    nothing."""
    require_reviewer(by)
    item = _locked(item)
    if LIFECYCLE.is_done("accept", item.status):
        return item
    _refuse("accept", item)
    item.status = LIFECYCLE.target_of("accept")
    item.reviewed_by, item.reviewed_at = by, timezone.now()
    return audited_save(item, by=by, reason="accepted")


@transaction.atomic
def rectification_return(*, item: RectificationItem, comment: str, by: User) -> RectificationItem:
    """A reviewer returns the answer to the city with a comment (required) saying what to add
    or change; the city answers again."""
    require_reviewer(by)
    item = _locked(item)
    _refuse("return", item)
    missing = LIFECYCLE.missing("return", comment)
    if missing is not None:
        raise WorkflowError([FieldError(missing.field, missing.reason, missing.code)])
    item.status = LIFECYCLE.target_of("return")
    item.review_comment = comment.strip()
    item.reviewed_by, item.reviewed_at = by, timezone.now()
    return audited_save(item, by=by, reason=f"returned: {comment.strip()}")


# Reminders -------------------------------------------------------------------------------------


def _step(due: dt.date, today: dt.date) -> str | None:
    if due - dt.timedelta(days=settings.REMINDER_DAYS_BEFORE) <= today <= due:
        return RectificationReminder.Step.BEFORE
    if due < today <= due + dt.timedelta(days=settings.REMINDER_OVERDUE_WINDOW_DAYS):
        return RectificationReminder.Step.AFTER
    return None


def rectification_page_url(participation_id: int) -> str:
    """The full address of the city's rectification page on the portal (``PORTAL_URL``)."""
    path = reverse("cities:rectification", kwargs={"pk": participation_id})
    base: str = settings.PORTAL_URL
    return base.rstrip("/") + path


def rectification_reminders_send(*, today: dt.date) -> int:
    """Remind each city's officials of its items still awaiting their answer: once within
    ``REMINDER_DAYS_BEFORE`` days before the due date, once in the first
    ``REMINDER_OVERDUE_WINDOW_DAYS`` days after it; one email per city, due date and step,
    listing its items. Each item's reminder is recorded before the email goes, so none is sent
    twice however often this runs. Returns how many emails were sent."""
    awaiting = LIFECYCLE.awaiting(workflow.Actor.OFFICIAL)
    items = (
        RectificationItem.objects.filter(
            status__in=awaiting, participation__programme__is_active=True
        )
        .select_related("participation__city", "participation__programme")
        .select_related("indicator_result__indicator")
        .order_by("participation_id", "due_date", "id")
    )
    groups: dict[tuple[int, dt.date, str], list[RectificationItem]] = defaultdict(list)
    for item in items:
        step = _step(item.due_date, today)
        if step is not None:
            groups[(item.participation_id, item.due_date, step)].append(item)
    sent = 0
    for (_city, due, step), members in groups.items():
        participation = members[0].participation
        emails = sorted(
            participation.officials.exclude(user__email="").values_list("user__email", flat=True)
        )
        if not emails:
            continue
        fresh = []
        for item in members:
            try:
                with transaction.atomic():
                    RectificationReminder.objects.create(
                        item=item, step=step, recipients=", ".join(emails)
                    )
            except IntegrityError:
                continue  # already sent
            fresh.append(item)
        if not fresh:
            continue
        try:
            subject, message = _reminder_text(participation, fresh, due, step)
            send_mail(subject=subject, message=message, from_email=None, recipient_list=emails)
        except Exception:
            # Not sent: forget it, so that the next run tries again; go on with the others.
            log.exception("rectification reminder to %s failed", emails)
            RectificationReminder.objects.filter(item__in=fresh, step=step).delete()
            continue
        sent += 1
    return sent


def _reminder_text(
    participation: Participation, items: list[RectificationItem], due: dt.date, step: str
) -> tuple[str, str]:
    """In the product's language (one email goes to all the city's officials); dates in ISO."""
    with translation.override(settings.LANGUAGE_CODE):
        values = {
            "programme": participation.programme.code,
            "city": indicator_name(participation.city),
            "count": len(items),
            "due": due.isoformat(),
        }
        if step == RectificationReminder.Step.BEFORE:
            subject = gettext(
                "[%(programme)s] %(city)s: %(count)s rectification item(s) due on %(due)s"
            )
        else:
            subject = gettext(
                "[%(programme)s] %(city)s: %(count)s rectification item(s) were due on %(due)s"
            )
        lines = [
            gettext("These rectification items await the city's answer (due %(due)s):") % values
        ]
        lines += [
            f"- {indicator_name(item.indicator_result.indicator)}"
            for item in items
            if item.indicator_result is not None
        ]
        lines.append(
            gettext("Answer them on the portal, with the measures taken and the evidence: %(url)s")
            % {"url": rectification_page_url(participation.pk)}
        )
        return subject % values, "\n".join(lines)
