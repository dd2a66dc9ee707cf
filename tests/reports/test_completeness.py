"""The reviewers' completeness view: every city by every period it owes, each cell its state
in the workflow table's words, late periods marked, and a reminder for a city's row sent
through the outbox. Counted by the one rule of the periods owed, in a fixed number of
queries whatever the number of cities and periods."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from evaluation.models import CityReminder, Programme
from evaluation.scoring import Period
from evaluation.services import reporting
from evaluation.services.reminders import city_reminder_send
from reports.selectors import completeness_get
from tests.factories import ParticipationFactory, UserFactory, add_value, complete
from tests.reports.conftest import logged_in, text_of

pytestmark = pytest.mark.django_db


def url(programme) -> str:
    return f"/admin/reports/programmes/{programme.pk}/completeness/"


def remind_url(programme) -> str:
    return url(programme) + "remind/"


@pytest.fixture
def reports(shenzhen, chaoyang, official):
    """Shenzhen: 2022-01 submitted (late: after its due date), 2022-02 a draft; its 2019 was
    approved through an audited file. Chaoyang: nothing at all."""
    report = reporting.report_create(
        participation=shenzhen, period=Period.parse("2022-01"), by=official
    )
    report = reporting.report_values_set(
        report=report, values=complete({}), version=report.version, by=official
    )
    reporting.report_submit(report=report, version=report.version, by=official)
    reporting.report_create(participation=shenzhen, period=Period.parse("2022-02"), by=official)
    for code in complete({}):
        add_value(shenzhen.city, code, "2019", "1")


def cell(row, label):
    return next(c for c in row.cells if c is not None and c.period == label)


def test_each_cell_says_the_state_of_the_citys_period(reviewer_client, programme, reports):
    response = reviewer_client.get(url(programme))

    assert response.status_code == 200
    grid = response.context["grid"]
    rows = {row.participation.city.code: row for row in grid.rows}
    assert list(rows) == ["110105", "440300"]
    assert grid.columns[:3] == ["2019", "2020-01", "2020-02"]
    shenzhen = rows["440300"]
    assert (cell(shenzhen, "2022-01").label, cell(shenzhen, "2022-01").late) == (
        "submitted, awaiting review",
        True,
    )
    assert cell(shenzhen, "2022-02").word == "draft"
    assert cell(shenzhen, "2019").word == "approved" and not cell(shenzhen, "2019").late
    assert cell(rows["110105"], "2019").word == "missing"
    # Chaoyang never opened a report: every due period is missing, and counted.
    assert rows["110105"].missing == len(grid.columns)
    assert shenzhen.missing == len(grid.columns) - 2  # 2019 approved, 2022-01 submitted
    page = text_of(response)
    assert "Beijing Chaoyang District" in page and "Remind of" in page
    assert "submitted" in page and "missing" in page


@pytest.mark.chinese
def test_the_view_is_in_chinese_words(reviewer_client, programme, reports):
    page = text_of(reviewer_client.get(url(programme)))

    assert "2020 批次报表完整情况" in page
    for word in ("缺报", "草稿", "已提交", "已通过", "逾期", "提醒"):
        assert word in page, word
    assert "missing" not in page and "draft" not in page


def test_the_grid_reads_a_fixed_number_of_queries_whatever_the_cities_and_periods(
    reviewer, programme, reports
):
    def queries(today: dt.date) -> int:
        with CaptureQueriesContext(connection) as done:
            completeness_get(programme=programme, today=today, fetched_by=reviewer)
        return len(done)

    queries(dt.date(2020, 3, 1))  # the reviewer's roles are read once
    few = queries(dt.date(2020, 3, 1))
    for _ in range(5):
        ParticipationFactory(programme=programme)
    assert queries(dt.date(2022, 12, 31)) == few

    client = logged_in(reviewer)
    client.get(url(programme))
    with CaptureQueriesContext(connection) as page:
        client.get(url(programme))
    ParticipationFactory(programme=programme)
    with CaptureQueriesContext(connection) as more:
        client.get(url(programme))
    assert len(more) == len(page)


def test_a_reminder_goes_to_the_citys_officials_once(
    reviewer,
    reviewer_client,
    programme,
    shenzhen,
    official,
    reports,
    django_capture_on_commit_callbacks,
):
    official.email = "li.wei@example.org"
    official.save()

    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_client.post(remind_url(programme), {"participation": shenzhen.pk})

    assert response.status_code == 302 and response["Location"] == url(programme)
    reminder = CityReminder.objects.get()
    assert reminder.requested_by == reviewer and reminder.sent_at is not None
    # Every period awaiting the city that is due: the draft and the missing ones, not the
    # submitted report or the approved year.
    assert "2022-02" in reminder.periods and "2020-01" in reminder.periods
    assert "2022-01" not in reminder.periods and "2019" not in reminder.periods
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["li.wei@example.org"]
    assert "2022-02" in mail.outbox[0].body and f"/city/{shenzhen.pk}/periods/2022-02/" in (
        mail.outbox[0].body
    )
    # Delivered again, it sends nothing more.
    assert city_reminder_send(reminder_id=reminder.pk) is False
    assert len(mail.outbox) == 1
    page = text_of(logged_in(reviewer).get(url(programme)))
    assert "A reminder of" not in page  # the message was shown once, on the redirect
    assert f"last: {timezone.localdate():%m/%d/%Y}" in page


def test_a_city_without_an_email_is_not_reminded_and_nothing_is_recorded(
    reviewer_client, programme, chaoyang, other_official
):
    other_official.email = ""
    other_official.save()

    response = reviewer_client.post(
        remind_url(programme), {"participation": chaoyang.pk}, follow=True
    )

    assert "No official of Beijing Chaoyang District has an email address" in text_of(response)
    assert not CityReminder.objects.exists() and not mail.outbox


def test_a_reminder_of_another_programmes_city_is_not_found(reviewer_client, programme):
    other = ParticipationFactory(programme=Programme.objects.get(code="2019"))
    assert (
        reviewer_client.post(remind_url(programme), {"participation": other.pk}).status_code == 404
    )
    assert reviewer_client.post(remind_url(programme), {"participation": "x"}).status_code == 404
    assert reviewer_client.get(remind_url(programme)).status_code == 405


@pytest.mark.parametrize("who", ["official", "other_official", "anonymous"])
def test_officials_and_signed_out_visitors_see_and_send_nothing(
    request, who, programme, reports, shenzhen
):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    client = logged_in(user)

    page = client.get(url(programme))
    sent = client.post(remind_url(programme), {"participation": shenzhen.pk})

    for response in (page, sent):
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
        assert "Shenzhen" not in response.content.decode()
    assert not CityReminder.objects.exists()


def test_a_reviewer_without_staff_access_is_refused(programme, reports):
    """Someone signed in to the admin without the reviewer's role gets 403."""
    staff = UserFactory(is_staff=True)
    assert logged_in(staff).get(url(programme)).status_code == 403


def test_late_only_shows_the_cities_late_with_a_report(
    reviewer, reviewer_client, programme, reports
):
    """The reviewers' to-do links here with ``?late=1``: the cities with a period missing or
    submitted late, as the to-do counts them, and a way back to every city."""
    today = timezone.localdate()
    every = completeness_get(programme=programme, today=today, fetched_by=reviewer)
    late = completeness_get(programme=programme, today=today, fetched_by=reviewer, late_only=True)
    assert late.late_only and not every.late_only
    assert [r.participation.pk for r in late.rows] == [
        r.participation.pk for r in every.rows if r.missing or r.late
    ]

    response = reviewer_client.get(url(programme) + "?late=1")

    assert response.status_code == 200
    assert response.context["grid"].late_only
    assert f'href="{url(programme)}"' in response.content.decode()
