"""Reminders read the same periods as the API (``selectors.participation_periods``): a period
whose values are all approved outside a report (a file load, the demo) is not reminded."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from evaluation.models import Indicator, MetricValue, OfficialAssignment, Reminder
from evaluation.services.reminders import reminders_send
from tests.factories import ParticipationFactory, UserFactory, add_value

pytestmark = pytest.mark.django_db


def test_a_period_already_approved_by_a_file_load_is_not_reminded(programme, settings):
    settings.REMINDER_DAYS_BEFORE = 3
    participation = ParticipationFactory(programme=programme, city__code="340100")
    official = UserFactory(username="li.wei", email="li.wei@example.org")
    OfficialAssignment.objects.create(user=official, participation=participation)
    for code in Indicator.objects.values_list("code", flat=True):
        add_value(participation.city, code, "2021-05", "1")

    # 2021-05 is due on 2021-06-15: its values are all there and approved.
    assert reminders_send(today=dt.date(2021, 6, 12)) == 0
    assert not mail.outbox and not Reminder.objects.exists()

    # One value missing: the period is owed again, and reminded.
    MetricValue.objects.filter(indicator__code="pledge_amount").delete()
    assert reminders_send(today=dt.date(2021, 6, 13)) == 1
    assert mail.outbox[0].subject.endswith("report for 2021-05 is due on 2021-06-15")
