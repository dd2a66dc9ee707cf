"""Tasks asked for while the broker is down are kept, and sent once it is back."""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from kombu.exceptions import OperationalError as BrokerError

from evaluation.models import OutboxTask, ReviewNotice
from evaluation.scoring import Period
from evaluation.services.outbox import outbox_dispatch, outbox_enqueue
from evaluation.services.reporting import (
    report_create,
    report_submit,
    report_values_set,
    reviewers_notify,
)
from tests.factories import ParticipationFactory, UserFactory, complete

pytestmark = pytest.mark.django_db


def test_a_task_is_sent_after_commit_and_marked(django_capture_on_commit_callbacks):
    with (
        mock.patch("evaluation.tasks.dispatch_outbox.apply_async") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        row = outbox_enqueue("evaluation.tasks.dispatch_outbox")
    send.assert_called_once_with(kwargs={})
    row.refresh_from_db()
    assert row.dispatched_at is not None and row.attempts == 1


def test_a_broker_that_is_down_leaves_the_task_pending_until_it_is_back(
    django_capture_on_commit_callbacks,
):
    down = BrokerError("Error 111 connecting to localhost:6379. Connection refused.")
    with (
        mock.patch("evaluation.tasks.dispatch_outbox.apply_async", side_effect=down),
        django_capture_on_commit_callbacks(execute=True),
    ):
        row = outbox_enqueue("evaluation.tasks.dispatch_outbox")
    row.refresh_from_db()
    assert row.dispatched_at is None
    assert "Connection refused" in row.last_error

    with mock.patch("evaluation.tasks.dispatch_outbox.apply_async") as send:
        assert outbox_dispatch() == 1
        assert outbox_dispatch() == 0  # never twice
    send.assert_called_once()


def _submitted_report():
    participation = ParticipationFactory(city__code="440300")
    official = UserFactory(username="li")
    participation.officials.create(user=official)
    report = report_create(participation=participation, period=Period.parse("2021-03"), by=official)
    report = report_values_set(
        report=report,
        values=complete({"pledge_projects": "3"}),
        version=report.version,
        by=official,
    )
    return report_submit(report=report, version=None, by=official)


def test_a_submission_tells_the_reviewers_once(db, django_capture_on_commit_callbacks):
    reviewer = UserFactory(username="wang", email="wang@example.org")
    reviewer.groups.add(Group.objects.get(name="reviewers"))
    with django_capture_on_commit_callbacks(execute=True):
        report = _submitted_report()

    assert [m.to for m in mail.outbox] == [["wang@example.org"]]
    assert "submitted its report for 2021-03" in mail.outbox[0].subject
    assert OutboxTask.objects.get(task="evaluation.tasks.notify_reviewers").dispatched_at
    # A redelivered task sends nothing more.
    assert reviewers_notify(report_id=report.pk, version=report.version) is False
    assert len(mail.outbox) == 1
    assert ReviewNotice.objects.count() == 1


def test_a_notice_that_could_not_be_mailed_is_sent_on_the_next_delivery(
    db, django_capture_on_commit_callbacks
):
    import smtplib

    reviewer = UserFactory(username="wang", email="wang@example.org")
    reviewer.groups.add(Group.objects.get(name="reviewers"))
    with (
        mock.patch(
            "django.core.mail.send_mail", side_effect=smtplib.SMTPServerDisconnected("gone")
        ),
        django_capture_on_commit_callbacks(execute=False),
    ):
        report = _submitted_report()
        with pytest.raises(smtplib.SMTPServerDisconnected):
            reviewers_notify(report_id=report.pk, version=report.version)
    assert not ReviewNotice.objects.exists()

    assert reviewers_notify(report_id=report.pk, version=report.version) is True
    assert len(mail.outbox) == 1
