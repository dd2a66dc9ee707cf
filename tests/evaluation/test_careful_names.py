"""Careful names, and emails that cannot be sent: a name with a control character, a formula's
first character or a character no font has is refused where it is entered (the cities file, the
admin's city and indicator forms); an email about a city whose name predates that rule still
goes out on one line; an email that can never be sent is given up and listed for the reviewers,
and the outbox gives up a task that fails by itself instead of sending it again for ever."""

from __future__ import annotations

import smtplib

import pytest
from django.core import mail
from django.test import Client

from evaluation.models import City, Indicator, OfficialAssignment, OutboxTask, UndeliveredEmail
from evaluation.scoring import Period
from evaluation.services import reporting
from evaluation.services.imports import cities_import
from evaluation.services.notices import officials_notify
from evaluation.services.outbox import outbox_dispatch
from evaluation.services.people import role_grant
from tests.conftest import csv_bytes
from tests.factories import ParticipationFactory, UserFactory, complete

pytestmark = pytest.mark.django_db

HEADER = "code,name_en,name_zh,province"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ('"Yan\ntai"', "control character (a line break, U+000A)"),
        ("Yan\x00tai", "control character (a NUL byte, U+0000)"),
        ('"=HYPERLINK(""http://x"",""Yantai"")"', "may not start with ="),
        ("@Yantai", "may not start with @"),
        ("-Yantai", "may not start with -"),
        ("Yantai 🚀", "no installed font has this character"),
    ],
)
def test_a_city_name_no_document_or_email_can_carry_is_refused_by_the_cities_file(
    programme, name, reason
):
    data = csv_bytes(HEADER, f"370600,{name},烟台市,Shandong")

    with pytest.raises(reporting.ImportRefused) as refused:
        cities_import(name="cities.csv", data=data, programme=programme, by=None)

    [error] = refused.value.errors
    assert (error.line, error.column) == (2, "name_en")
    assert reason in error.reason
    assert not City.objects.filter(code="370600").exists()


@pytest.fixture
def administrator_client(db) -> Client:
    administrator = UserFactory(username="administrator")
    role_grant(user=administrator, role="administrator", by=None)
    client = Client()
    client.force_login(administrator)
    return client


def test_the_admins_city_form_refuses_such_names(administrator_client):
    response = administrator_client.post(
        "/admin/evaluation/city/add/",
        {"code": "370600", "name_en": "Yan\ntai", "name_zh": "=1+1", "province": "山东🚀"},
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "control character" in errors["name_en"][0]
    assert "may not start with =" in errors["name_zh"][0]
    assert "no installed font" in errors["province"][0]
    assert not City.objects.filter(code="370600").exists()


def test_the_admins_indicator_form_refuses_such_names(administrator_client):
    indicator = Indicator.objects.get(code="pledge_projects")
    page = f"/admin/evaluation/indicator/{indicator.pk}/change/"
    data = {
        "code": indicator.code,
        "name_en": "Projects 🚀",
        "name_zh": '=HYPERLINK("http://x","项目")',
        "unit": indicator.unit,
        "unit_zh": "个",
        "unit_en": "projects",
        "unit_en_one": "project",
        "position": indicator.position,
    }

    response = administrator_client.post(page, data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"name_en", "name_zh"}
    indicator.refresh_from_db()
    assert indicator.name_en == "Number of IP pledge-financing projects"


@pytest.fixture
def returned_report(programme):
    """A report of a city whose name holds a line break (saved before names refused them),
    returned to its official."""
    participation = ParticipationFactory(programme=programme, city__code="370600")
    City.objects.filter(pk=participation.city_id).update(name_zh="烟台\n市", name_en="Yan\ntai")
    official = UserFactory(username="li.wei", email="li.wei@example.org")
    OfficialAssignment.objects.create(user=official, participation=participation)
    reviewer = UserFactory(username="reviewer")
    role_grant(user=reviewer, role="reviewer", by=None)
    report = reporting.report_create(
        participation=participation, period=Period.parse("2021-03"), by=official
    )
    report = reporting.report_values_set(
        report=report, values=complete({}), version=report.version, by=official
    )
    report = reporting.report_submit(report=report, version=None, by=official)
    mail.outbox.clear()
    return reporting.report_return(report=report, comment="请核对", by=reviewer)


def test_an_email_about_a_city_with_a_line_break_in_its_name_still_goes_out(returned_report):
    sent = officials_notify(
        report_id=returned_report.pk, version=returned_report.version, kind="returned"
    )

    assert sent == 1
    [email] = mail.outbox
    assert "\n" not in email.subject and email.subject.startswith("Yan tai: ")


def test_an_email_that_can_never_be_sent_is_given_up_and_shown_to_reviewers(
    returned_report, monkeypatch
):
    def refused(**kwargs):
        raise smtplib.SMTPRecipientsRefused({"li.wei@example.org": (550, b"no such mailbox")})

    monkeypatch.setattr("django.core.mail.send_mail", refused)
    sent = officials_notify(
        report_id=returned_report.pk, version=returned_report.version, kind="returned"
    )

    assert sent == 0
    [given_up] = UndeliveredEmail.objects.all()
    assert given_up.recipients == "li.wei@example.org"
    assert "SMTPRecipientsRefused" in given_up.error
    # Not tried again: the notice is recorded, a second delivery of the task sends nothing.
    monkeypatch.undo()
    assert (
        officials_notify(
            report_id=returned_report.pk, version=returned_report.version, kind="returned"
        )
        == 0
    )
    assert mail.outbox == []
    reviewer = Client()
    reviewer.force_login(UserFactory(username="reviewer"))
    page = reviewer.get("/admin/evaluation/undeliveredemail/")
    assert page.status_code == 200 and "li.wei@example.org" in page.content.decode()


def test_the_outbox_gives_up_a_task_that_fails_by_itself_and_sends_the_others(db, monkeypatch):
    """On the embedded default a task runs in-process: one that fails for good (here, its
    report is gone) is given up with its error, not sent again every minute, and the tasks
    after it still go."""
    broken = OutboxTask.objects.create(
        task="evaluation.tasks.notify_officials",
        kwargs={"report_id": 999, "version": 1, "kind": "approved"},
    )
    fine = OutboxTask.objects.create(task="evaluation.tasks.send_report_reminders", kwargs={})

    assert outbox_dispatch() == 1

    broken.refresh_from_db()
    fine.refresh_from_db()
    assert broken.given_up_at is not None and "DoesNotExist" in broken.last_error
    assert fine.dispatched_at is not None
    assert outbox_dispatch() == 0  # nothing is tried again
    reviewer = Client()
    reviewer.force_login(UserFactory(username="reviewer"))
    role_grant(user=UserFactory(username="reviewer"), role="reviewer", by=None)
    listed = reviewer.get("/admin/evaluation/outboxtask/")
    assert (
        listed.status_code == 200 and "evaluation.tasks.notify_officials" in listed.content.decode()
    )
