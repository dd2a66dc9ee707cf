"""Reminding city officials of their reports, by email, before and after each due date."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext

from evaluation.mail import mail_send
from evaluation.models import Participation, Reminder
from evaluation.selectors import participation_periods
from evaluation.services.notices import period_form_url
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
