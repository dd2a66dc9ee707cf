"""Schedules defined in code and installed into the database; the tasks they start; reminders
sent once per report and step."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from evaluation.models import EvaluationRun, OfficialAssignment, Reminder, TrancheDecision
from evaluation.services.decisions import decision_confirm
from evaluation.services.reminders import reminders_send
from evaluation.services.reporting import Locked
from evaluation.tasks import run_midterm_evaluation, run_provisional_evaluations
from tests.factories import ParticipationFactory, UserFactory, add_value

pytestmark = pytest.mark.django_db


def test_setup_schedules_installs_each_schedule_once(programme):
    call_command("setup_schedules", stdout=io.StringIO())
    call_command("setup_schedules", stdout=io.StringIO())

    tasks = {t.name: t for t in PeriodicTask.objects.all()}
    assert set(tasks) == {
        "nightly provisional evaluations",
        "report reminders",
        "rectification reminders",
        "outbox dispatch",
        "evaluation run sweep",
        "mid-term evaluation of programme 2020",
    }
    midterm = tasks["mid-term evaluation of programme 2020"]
    assert midterm.one_off and midterm.task == "evaluation.tasks.run_midterm_evaluation"
    assert json.loads(midterm.kwargs) == {"programme": "2020"}
    # 2021-12-31 + 45 days of grace, at 09:00 in Beijing.
    assert timezone.localtime(midterm.clocked.clocked_time) == timezone.make_aware(
        dt.datetime(2022, 2, 14, 9, 0)
    )
    assert tasks["nightly provisional evaluations"].crontab.hour == "2"
    sweep = tasks["evaluation run sweep"]
    assert sweep.task == "evaluation.tasks.sweep_evaluation_runs"
    assert (sweep.interval.every, sweep.interval.period) == (30, "seconds")


def test_the_sweep_runs_as_often_as_configured(programme, settings):
    settings.EVALUATION_SWEEP_SECONDS = 5
    call_command("setup_schedules", stdout=io.StringIO())
    sweep = PeriodicTask.objects.get(name="evaluation run sweep")
    assert (sweep.interval.every, sweep.interval.period, sweep.crontab) == (5, "seconds", None)


def test_a_one_off_that_ran_is_not_started_again_by_reinstalling(programme):
    call_command("setup_schedules", stdout=io.StringIO())
    PeriodicTask.objects.filter(one_off=True).update(enabled=False, last_run_at=timezone.now())
    call_command("setup_schedules", stdout=io.StringIO())
    assert not PeriodicTask.objects.get(one_off=True).enabled


def _city(programme):
    participation = ParticipationFactory(programme=programme, city__code="440300")
    add_value(participation.city, "operation_centres", "2020", "3")
    return participation


def test_the_midterm_task_requests_one_official_run(programme, django_capture_on_commit_callbacks):
    _city(programme)
    with django_capture_on_commit_callbacks(execute=True):
        first = run_midterm_evaluation("2020")
    with django_capture_on_commit_callbacks(execute=True):
        again = run_midterm_evaluation("2020")

    assert first == again
    run = EvaluationRun.objects.get()
    assert (run.kind, run.trigger, run.as_of, run.status) == (
        "official",
        "schedule",
        dt.date(2021, 12, 31),
        "succeeded",
    )


def test_provisional_runs_are_never_decided(programme, django_capture_on_commit_callbacks):
    _city(programme)
    with django_capture_on_commit_callbacks(execute=True):
        (run_id,) = run_provisional_evaluations()
    run = EvaluationRun.objects.get(pk=run_id)
    assert (run.kind, run.as_of) == ("provisional", timezone.localdate())
    reviewer = UserFactory(username="reviewer")
    reviewer.groups.add(
        __import__("django.contrib.auth.models").contrib.auth.models.Group.objects.get(
            name="reviewers"
        )
    )
    with pytest.raises(Locked, match="official"):
        decision_confirm(decision=TrancheDecision.objects.get(), by=reviewer)


def test_reminders_go_once_before_and_once_after_the_due_date(programme, settings):
    settings.REMINDER_DAYS_BEFORE = 3
    settings.REMINDER_OVERDUE_WINDOW_DAYS = 7
    participation = _city(programme)
    official = UserFactory(username="li", email="li@example.org")
    OfficialAssignment.objects.create(user=official, participation=participation)
    UserFactory(username="nobody", email="nobody@example.org")

    # 2021-05 is due on 2021-06-15.
    assert reminders_send(today=dt.date(2021, 6, 12)) == 1
    assert reminders_send(today=dt.date(2021, 6, 13)) == 0
    # 2021-05 is now overdue; 2021-06 (due 2021-07-15) is not reminded yet.
    assert reminders_send(today=dt.date(2021, 6, 16)) == 1
    assert reminders_send(today=dt.date(2021, 6, 17)) == 0

    subjects = [m.subject for m in mail.outbox]
    assert subjects[0].endswith("report for 2021-05 is due on 2021-06-15")
    assert subjects[1].endswith("report for 2021-05 was due on 2021-06-15")
    assert len(subjects) == 2
    assert all(m.to == ["li@example.org"] for m in mail.outbox)
    assert Reminder.objects.filter(year=2021, number=5).count() == 2


def test_a_reminder_whose_mail_fails_is_not_recorded_and_goes_out_next_time(
    programme, settings, monkeypatch
):
    settings.REMINDER_DAYS_BEFORE = 3
    participation = _city(programme)
    official = UserFactory(username="li", email="li@example.org")
    OfficialAssignment.objects.create(user=official, participation=participation)

    def refused(**kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("django.core.mail.send_mail", refused)
    assert reminders_send(today=dt.date(2021, 6, 12)) == 0
    assert not Reminder.objects.exists()

    monkeypatch.undo()
    assert reminders_send(today=dt.date(2021, 6, 13)) == 1
    (sent,) = mail.outbox
    assert sent.subject.endswith("report for 2021-05 is due on 2021-06-15")
    assert Reminder.objects.filter(year=2021, number=5).count() == 1
