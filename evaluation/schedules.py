"""The schedules, defined in code and installed into django-celery-beat by
`manage.py setup_schedules` (idempotent). They are then visible and editable in the admin
(Periodic tasks); installing again puts the code's definition back."""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
)

from evaluation.models import Programme

TIME_ZONE = "Asia/Shanghai"
NIGHTLY = "nightly provisional evaluations"


@transaction.atomic
def schedules_install() -> list[str]:
    """Create or update every schedule; returns their names."""
    names = []

    # "At 02:00 every day": a provisional evaluation of every active programme, as of that day.
    nightly = _daily(minute="0", hour="2")
    names.append(
        _task(
            NIGHTLY,
            "evaluation.tasks.run_provisional_evaluations",
            crontab=nightly,
        )
    )

    # "Every minute": send the tasks the outbox still holds (asked for while the broker was
    # down).
    every_minute = _daily(minute="*", hour="*")
    names.append(_task("outbox dispatch", "evaluation.tasks.dispatch_outbox", crontab=every_minute))

    # "Every EVALUATION_SWEEP_SECONDS seconds" (default every 30 seconds): every run ends.
    # A queued or running run with no progress for EVALUATION_STALL_SECONDS has its start or
    # its unstored chunks sent again, or fails with the reason once they have had their
    # deliveries.
    sweep_every, _ = IntervalSchedule.objects.get_or_create(
        every=settings.EVALUATION_SWEEP_SECONDS, period=IntervalSchedule.SECONDS
    )
    names.append(
        _task(
            "evaluation run sweep",
            "evaluation.tasks.sweep_evaluation_runs",
            interval=sweep_every,
        )
    )

    # "At 08:00 every day": reminders before and after each report's due date.
    morning = _daily(minute="0", hour="8")
    names.append(
        _task("report reminders", "evaluation.tasks.send_report_reminders", crontab=morning)
    )

    # "At 08:15 every day": reminders before and after each rectification item's due date.
    names.append(
        _task(
            "rectification reminders",
            "evaluation.tasks.send_rectification_reminders",
            crontab=_daily(minute="15", hour="8"),
        )
    )

    # Once, at 09:00 on the mid-term as-of date plus the grace period: the official mid-term
    # evaluation of each active programme.
    for programme in Programme.objects.filter(is_active=True, rulesets__isnull=False).distinct():
        day = programme.midterm_as_of + dt.timedelta(days=programme.midterm_grace_days)
        when = timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)), timezone=_zone())
        clocked, _ = ClockedSchedule.objects.get_or_create(clocked_time=when)
        names.append(
            _task(
                f"mid-term evaluation of programme {programme.code}",
                "evaluation.tasks.run_midterm_evaluation",
                clocked=clocked,
                one_off=True,
                kwargs={"programme": programme.code},
            )
        )
    return names


def _daily(*, minute: str, hour: str) -> CrontabSchedule:
    """A crontab on every day of every month, in Beijing time."""
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute=minute,
        hour=hour,
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone=TIME_ZONE,
    )
    return schedule


def _zone() -> dt.tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(TIME_ZONE)


def _task(name: str, task: str, **fields: object) -> str:
    """Create or update the task ``name``. A one-off task that has already run is left as it
    is, so installing again never starts it a second time."""
    existing = PeriodicTask.objects.filter(name=name).first()
    if existing is not None and existing.one_off and existing.last_run_at is not None:
        return name
    kwargs = fields.pop("kwargs", {})
    defaults = {
        "task": task,
        "kwargs": json.dumps(kwargs),
        "enabled": True,
        "crontab": None,
        "clocked": None,
        "interval": None,
        "one_off": False,
        **fields,
    }
    PeriodicTask.objects.update_or_create(name=name, defaults=defaults)
    return name


def next_provisional_run(*, now: dt.datetime) -> dt.datetime | None:
    """When the nightly provisional evaluations run next, by their installed schedule; None
    when it is not installed or is disabled (the embedded default installs no schedule and
    runs no beat)."""
    task = PeriodicTask.objects.filter(name=NIGHTLY, enabled=True).select_related("crontab").first()
    if task is None or task.crontab is None:
        return None
    # Celery's estimate ends a hair before the minute; the run is on the minute.
    remaining: dt.timedelta = task.crontab.schedule.remaining_estimate(now)
    estimate = now + remaining + dt.timedelta(seconds=1)
    return estimate.replace(second=0, microsecond=0)
