"""Reminding city officials of their reports, by email, before and after each due date."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from evaluation.models import Participation, Reminder, Report
from evaluation.selectors import participation_periods

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
    from cities.notifications import period_form_url

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
            if row.status in (Report.Status.SUBMITTED, Report.Status.APPROVED):
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
            when = "is due on" if step == Reminder.Step.BEFORE else "was due on"
            try:
                send_mail(
                    subject=f"[{participation.programme.code}] {participation.city.name_en}: "
                    f"report for {period} {when} {due.isoformat()}",
                    message=(
                        f"The report of {participation.city} for {period} {when} "
                        f"{due.isoformat()} and has not been submitted yet.\n"
                        "Please fill it in and submit it on the portal: "
                        f"{period_form_url(participation.pk, period.label)}\n"
                        "(or through the API: /api/v1/reports/)"
                    ),
                    from_email=None,
                    recipient_list=emails,
                )
            except Exception:
                # Not sent: forget it, so that the next run tries again; go on with the others.
                log.exception("reminder to %s failed", emails)
                reminder.delete()
                continue
            sent += 1
    return sent
