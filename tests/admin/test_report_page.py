"""A report's own page in the review queue: the review steps its status allows as buttons
(approve; return and reopen through the same reason form as the list actions), no Save
button and nothing editable; and the queue's Flag column reads as a warning for a flagged
report and as nothing for the others."""

from __future__ import annotations

import re

import pytest

from evaluation.models import Report
from evaluation.services.reporting import report_approve
from tests.admin.conftest import page, shown_messages, submitted_report
from tests.factories import add_value

pytestmark = pytest.mark.django_db

QUEUE = "/admin/evaluation/report/"


@pytest.fixture
def flagged(city_a, official) -> Report:
    """Shenzhen's March 2021: ten times March 2020, so it is flagged for the reviewer."""
    add_value(city_a.city, "transfer_licence_count", "2020-03", "100")
    return submitted_report(city_a, official, "2021-03", {"transfer_licence_count": "1000"})


@pytest.fixture
def plain(city_b, official) -> Report:
    """Chaoyang's March 2021, nothing unusual."""
    return submitted_report(city_b, official, "2021-03", {"transfer_licence_count": "40"})


@pytest.fixture
def approved(city_b, official, reviewer) -> Report:
    report = submitted_report(city_b, official, "2020-12", {"transfer_licence_count": "30"})
    return report_approve(report=report, by=reviewer)


def report_page(client, report: Report):
    response = client.get(f"{QUEUE}{report.pk}/change/")
    assert response.status_code == 200
    return response


def buttons(response) -> list[str]:
    """The labels of the page's submit buttons."""
    return [
        label
        for label in re.findall(
            r'<input type="submit"[^>]*value="([^"]*)"', response.content.decode()
        )
    ]


def editable_fields(response) -> list[str]:
    """Named inputs a person could type into or choose from (not the CSRF token, not buttons)."""
    html = response.content.decode()
    form = re.search(r'<form[^>]*id="report_form".*?</form>', html, re.S)
    assert form is not None
    names = re.findall(r"<(?:input|select|textarea)\b[^>]*\bname=\"([^\"]+)\"", form.group(0))
    submits = set(re.findall(r'<input type="submit"[^>]*name="([^"]+)"', form.group(0)))
    # The note to the city (its own button) writes to the conversation, not to the report.
    return [n for n in names if n not in {"csrfmiddlewaretoken", "text"} and n not in submits]


def step(client, report: Report, name: str, **data):
    return client.post(f"{QUEUE}{report.pk}/review/{name}/", data, follow=True)


def status(report: Report) -> str:
    return Report.objects.get(pk=report.pk).status


# The report's page -----------------------------------------------------------------------


def test_a_submitted_report_offers_approve_and_return_and_no_save(reviewer_client, plain):
    response = report_page(reviewer_client, plain)

    assert buttons(response) == ["Approve", "Return to the city…", "Return single values…"]
    assert editable_fields(response) == []
    assert 'name="_save"' not in response.content.decode()
    assert "Save" not in buttons(response)


def test_an_approved_report_offers_only_reopen(reviewer_client, approved):
    assert buttons(report_page(reviewer_client, approved)) == ["Reopen…"]


def test_a_draft_offers_no_step(reviewer_client, city_a, official):
    from evaluation.scoring import Period
    from evaluation.services.reporting import report_create

    draft = report_create(participation=city_a, period=Period.parse("2021-04"), by=official)

    response = report_page(reviewer_client, draft)

    assert buttons(response) == []
    assert "No review step applies to this report now." in page(response)


def test_approving_from_the_reports_page(reviewer_client, reviewer, plain):
    response = step(reviewer_client, plain, "approve")

    assert status(plain) == "approved"
    assert Report.objects.get(pk=plain.pk).reviewed_by == reviewer
    assert response.redirect_chain[-1][0] == f"{QUEUE}{plain.pk}/change/"
    assert "Approved 1 of 1." in shown_messages(response)
    assert buttons(response) == ["Reopen…"]


def test_returning_from_the_reports_page_asks_for_the_comment_first(reviewer_client, plain):
    asked = step(reviewer_client, plain, "return")

    assert asked.status_code == 200
    assert "What should the city fix?" in page(asked)
    assert status(plain) == "submitted"

    empty = step(reviewer_client, plain, "return", apply="Apply", text="  ")
    assert "What should the city fix?" in page(empty)
    assert status(plain) == "submitted"

    done = step(reviewer_client, plain, "return", apply="Apply", text="March is missing")
    assert status(plain) == "returned"
    assert Report.objects.get(pk=plain.pk).review_comment == "March is missing"
    assert done.redirect_chain[-1][0] == f"{QUEUE}{plain.pk}/change/"
    assert "Returned 1 of 1." in shown_messages(done)


def test_reopening_from_the_reports_page_needs_a_reason(reviewer_client, approved):
    asked = step(reviewer_client, approved, "reopen")
    assert "Why reopen?" in page(asked)
    assert status(approved) == "approved"

    done = step(reviewer_client, approved, "reopen", apply="Apply", text="a typo in December")

    assert status(approved) == "returned"
    assert "Reopened 1 of 1." in shown_messages(done)


def test_a_step_the_status_does_not_allow_is_refused_and_changes_nothing(reviewer_client, approved):
    version = approved.version

    response = step(reviewer_client, approved, "approve")
    step(reviewer_client, approved, "return", apply="Apply", text="again")

    assert status(approved) == "approved"
    assert Report.objects.get(pk=approved.pk).version == version
    assert response.status_code == 200


def test_the_page_cannot_be_saved(reviewer_client, plain):
    response = reviewer_client.post(f"{QUEUE}{plain.pk}/change/", {"_save": "Save"})

    assert response.status_code == 405
    assert Report.objects.get(pk=plain.pk).history.count() == plain.history.count()


def test_an_unknown_step_or_report_is_not_found(reviewer_client, plain):
    assert reviewer_client.post(f"{QUEUE}{plain.pk}/review/delete/").status_code == 404
    assert reviewer_client.post(f"{QUEUE}999999/review/approve/").status_code == 404
    assert reviewer_client.get(f"{QUEUE}{plain.pk}/review/approve/").status_code == 405
    assert status(plain) == "submitted"


@pytest.mark.parametrize("who", ["official_client", "anonymous_client"])
def test_city_officials_and_visitors_cannot_take_a_step(request, who, plain):
    client = request.getfixturevalue(who)

    response = client.post(f"{QUEUE}{plain.pk}/review/approve/")
    page_response = client.get(f"{QUEUE}{plain.pk}/change/")

    for r in (response, page_response):
        assert r.status_code == 302 and "/login/" in r["Location"]
    assert status(plain) == "submitted"


# The queue's Flag column -----------------------------------------------------------------


def queue_rows(response) -> dict[int, str]:
    """Each report's row in the queue, as markup."""
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", response.content.decode(), re.S):
        found = re.search(r'name="_selected_action" value="(\d+)"', row)
        if found:
            rows[int(found.group(1))] = row
    return rows


def test_a_flagged_report_reads_as_flagged_and_an_unflagged_one_as_nothing(
    reviewer_client, flagged, plain
):
    rows = queue_rows(reviewer_client.get(QUEUE))

    assert "⚠" in rows[flagged.pk] and "flagged" in rows[flagged.pk]
    assert "⚠" not in rows[plain.pk] and "flagged" not in rows[plain.pk]
    for row in rows.values():
        # Neither the green tick nor the red cross of a yes/no column.
        assert "icon-yes" not in row and "icon-no" not in row


def test_the_approve_button_works_as_a_browser_sends_it(reviewer, plain):
    """The button posts the page's own form (its CSRF token) to the step's URL."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    html = report_page(client, plain).content.decode()
    form = re.search(r'<form[^>]*id="report_form".*?</form>', html, re.S)
    assert form is not None
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(0))
    button = re.search(
        r'<input type="submit" formaction="([^"]+)" name="(_review)" value="Approve"',
        form.group(0),
    )
    assert token is not None and button is not None

    response = client.post(
        button.group(1),
        {"csrfmiddlewaretoken": token.group(1), button.group(2): "Approve"},
        follow=True,
    )

    assert response.status_code == 200
    assert status(plain) == "approved"
    assert "Approved 1 of 1." in shown_messages(response)
