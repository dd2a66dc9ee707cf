"""Reminding city officials of their reports, by email, before and after each due date."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from evaluation.access import require_reviewer
from evaluation.exceptions import FieldError, WorkflowError
from evaluation.mail import mail_send
from evaluation.models import CityReminder, Participation, Reminder
from evaluation.selectors import participation_periods, reminder_owed
from evaluation.services.notices import period_form_url
from evaluation.services.outbox import outbox_enqueue
from evaluation.vocabulary import indicator_name

log = logging.getLogger(__name__)


def _step(due: dt.date, today: dt.date) -> str | None:
    if due - dt.timedelta(days=settings.REMINDER_DAYS_BEFORE) <= today <= due:
        return Reminder.Step.BEFORE
    if due < today <= due + dt.timedelta(days=settings.REMINDER_OVERDUE_WINDOW_DAYS):
        return Reminder.Step.AFTER
    return None


def reminders_send(*, today: dt.date) -> int:
    """Send the reminders due ``today`` for every unsubmitted report of an active programme.
    Each (city, period, step) is recorded before its email goes out, so none is sent twice,
    however often this runs. Returns how many were sent."""
    sent = 0
    participations = Participation.objects.filter(programme__is_active=True).select_related(
        "programme", "city"
    )
    for participation in participations:
        emails = sorted(
            participation.officials.exclude(user__email="").values_list("user__email", flat=True)
        )
        if not emails:
            continue
        for row in participation_periods(participation=participation, today=today, fetched_by=None):
            if not row.awaits_city:
                continue
            due, period = row.due_date, row.period
            step = _step(due, today)
            if step is None:
                continue
            try:
                with transaction.atomic():
                    reminder = Reminder.objects.create(
                        participation=participation,
                        year=period.year,
                        granularity=str(period.granularity),
                        number=period.number,
                        step=step,
                        recipients=", ".join(emails),
                    )
            except IntegrityError:
                continue  # already sent
            try:
                subject, message = _reminder_text(
                    participation,
                    period,
                    due,
                    step,
                    period_form_url(participation.pk, period.label),
                )
                delivered = mail_send(
                    subject=subject,
                    message=message,
                    recipients=emails,
                    about=f"reminder {reminder.pk}",
                )
            except Exception:
                # Not sent: forget it, so that the next run tries again; go on with the others.
                log.exception("reminder to %s failed", emails)
                reminder.delete()
                continue
            # One that can never be sent is given up (listed for the reviewers), not retried.
            sent += delivered
    return sent


def _reminder_text(
    participation: Participation, period: object, due: dt.date, step: str, form_url: str
) -> tuple[str, str]:
    """The reminder's subject and text, in the product's language (one email goes to all the
    city's officials; it has no browser to ask). Dates stay in ISO form, unambiguous in both."""
    with translation.override(settings.LANGUAGE_CODE):
        values = {
            "programme": participation.programme.code,
            "name": indicator_name(participation.city),
            "city": participation.city,
            "period": period,
            "due": due.isoformat(),
        }
        if step == Reminder.Step.BEFORE:
            subject = gettext("[%(programme)s] %(name)s: report for %(period)s is due on %(due)s")
            opening = gettext("The report of %(city)s for %(period)s is due on %(due)s")
        else:
            subject = gettext("[%(programme)s] %(name)s: report for %(period)s was due on %(due)s")
            opening = gettext("The report of %(city)s for %(period)s was due on %(due)s")
        message = (
            gettext("%(opening)s and has not been submitted yet.") % {"opening": opening % values}
            + "\n"
            + gettext("Please fill it in and submit it on the portal: %(url)s") % {"url": form_url}
            + "\n"
            + gettext("(or through the API: /api/v1/reports/)")
        )
        return subject % values, message


# A reviewer's reminder to one city --------------------------------------------------------------


def _official_emails(participation: Participation) -> list[str]:
    return sorted(
        participation.officials.exclude(user__email="").values_list("user__email", flat=True)
    )


@transaction.atomic
def city_reminder_request(
    *, participation: Participation, today: dt.date, by: User
) -> CityReminder:
    """A reviewer reminds a city's officials, in one email, of every report awaiting them that
    is due or overdue (the reviewers' completeness view): recorded now, sent through the
    outbox after commit (``evaluation.tasks.send_city_reminder``). Refused when nothing is due
    or no official of the city has an email address."""
    require_reviewer(by)
    periods = [
        row.label
        for row in participation_periods(participation=participation, today=today, fetched_by=by)
        if reminder_owed(row, today)
    ]
    errors = []
    if not periods:
        errors.append(
            FieldError(
                None,
                gettext("%(city)s has no report due or overdue to remind of")
                % {"city": indicator_name(participation.city)},
                "nothing_to_remind",
            )
        )
    if not _official_emails(participation):
        errors.append(
            FieldError(
                None,
                gettext("no official of %(city)s has an email address")
                % {"city": indicator_name(participation.city)},
                "no_official_email",
            )
        )
    if errors:
        raise WorkflowError(errors)
    reminder = CityReminder(participation=participation, periods=periods, requested_by=by)
    reminder.full_clean()
    reminder.save()
    outbox_enqueue("evaluation.tasks.send_city_reminder", reminder_id=reminder.pk)
    return reminder


def city_reminder_send(*, reminder_id: int) -> bool:
    """Send a reviewer's reminder to the city's officials, once however often the task is
    delivered. Returns whether an email went out."""
    with transaction.atomic():
        reminder = (
            CityReminder.objects.select_for_update()
            .select_related("participation__city", "participation__programme")
            .get(pk=reminder_id)
        )
        if reminder.sent_at is not None:
            return False
        participation = reminder.participation
        emails = _official_emails(participation)
        if not emails:
            return False
        with translation.override(settings.LANGUAGE_CODE):
            values = {
                "programme": participation.programme.code,
                "name": indicator_name(participation.city),
                "periods": ", ".join(reminder.periods),
            }
            subject = gettext("[%(programme)s] %(name)s: reports awaiting you: %(periods)s")
            lines = [
                gettext(
                    "The ministry's reviewers remind you of the reports of %(name)s still to "
                    "fill in, correct or submit: %(periods)s."
                )
                % values,
                gettext("Please fill them in and submit them on the portal:"),
                *(
                    f"  {label}: {period_form_url(participation.pk, label)}"
                    for label in reminder.periods
                ),
            ]
            message = "\n".join(lines)
        reminder.sent_at = timezone.now()
        reminder.recipients = ", ".join(emails)
        reminder.save(update_fields=["sent_at", "recipients"])
        # Sent last: a failure rolls the record back, so the retry sends it (one that can never
        # be sent is given up and listed for the reviewers instead).
        return mail_send(
            subject=subject % values,
            message=message,
            recipients=emails,
            about=f"reviewer's reminder {reminder.pk} to {participation.city.code}",
        )
