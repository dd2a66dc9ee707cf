"""The people of the admin: two ministry reviewers (one triggers runs, the other signs them
off), an administrator, a city official without admin access, and two cities of the 2020
programme. Everyone is a real user with a real role, logged in through the session."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client

from evaluation.models import EvaluationRun, OfficialAssignment, Participation, Report
from evaluation.scoring import Period
from evaluation.services import reporting
from evaluation.services.people import role_grant
from evaluation.services.runs import evaluation_run_request
from tests.factories import ParticipationFactory, UserFactory, complete


def _staff(username: str, role: str):
    user = UserFactory(username=username)
    role_grant(user=user, role=role, by=None)
    return user


@pytest.fixture
def reviewer(db):
    return _staff("reviewer", "reviewer")


@pytest.fixture
def second_reviewer(db):
    return _staff("second_reviewer", "reviewer")


@pytest.fixture
def administrator(db):
    return _staff("administrator", "administrator")


@pytest.fixture
def city_a(programme) -> Participation:
    return ParticipationFactory(programme=programme, city__code="440300", city__name_en="Shenzhen")


@pytest.fixture
def city_b(programme) -> Participation:
    return ParticipationFactory(programme=programme, city__code="110105", city__name_en="Chaoyang")


@pytest.fixture
def official(city_a, city_b):
    """An official of both cities (a city user, not ministry staff)."""
    user = UserFactory(username="official")
    for participation in (city_a, city_b):
        OfficialAssignment.objects.create(user=user, participation=participation)
    return user


def logged_in(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def admin_client(administrator) -> Client:
    """The admin as an administrator (a real user of the administrators group, not a
    superuser)."""
    return logged_in(administrator)


@pytest.fixture
def reviewer_client(reviewer) -> Client:
    return logged_in(reviewer)


@pytest.fixture
def signer_client(second_reviewer) -> Client:
    return logged_in(second_reviewer)


@pytest.fixture
def official_client(official) -> Client:
    return logged_in(official)


@pytest.fixture
def anonymous_client() -> Client:
    return Client()


def page(response) -> str:
    """The page as the user reads it: markup removed, entities decoded, spaces collapsed."""
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(text))


def shown_messages(response) -> list[str]:
    """The messages the admin shows on the page ``response`` ends on."""
    return [str(m) for m in response.context["messages"]]


def submitted_report(
    participation: Participation, official, period: str, values: dict[str, str]
) -> Report:
    """A report of ``period`` filled in and submitted by ``official``, awaiting review."""
    report = reporting.report_create(
        participation=participation, period=Period.parse(period), by=official
    )
    report = reporting.report_values_set(
        report=report, values=complete(values), version=report.version, by=official
    )
    return reporting.report_submit(report=report, version=report.version, by=official)


@pytest.fixture
def evaluate(programme, reviewer, django_capture_on_commit_callbacks):
    """Run an official evaluation of the 2020 programme to the end, triggered by
    ``reviewer``."""

    def run(**kwargs: Any) -> EvaluationRun:
        with django_capture_on_commit_callbacks(execute=True):
            queued = evaluation_run_request(
                programme=programme, trigger=EvaluationRun.Trigger.ADMIN, by=reviewer, **kwargs
            )
        finished = EvaluationRun.objects.get(pk=queued.pk)
        assert finished.status == EvaluationRun.Status.SUCCEEDED, finished.error
        return finished

    return run


def form_data(response) -> dict[str, Any]:
    """The POST data of the admin change form shown in ``response``, inlines and their
    management forms included, as the browser would send it unchanged."""
    forms = [response.context["adminform"].form]
    for inline in response.context.get("inline_admin_formsets", []):
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    data: dict[str, Any] = {}
    for form in forms:
        for bound in form:
            value = bound.value()
            if value is None or value is False:
                continue
            data[bound.html_name] = "on" if value is True else value
    return data


def history_rows(response, *, values: bool = False) -> list[dict[str, str]]:
    """The rows of an object's history page, newest first: what happened, who did it, the
    change reason and the changed fields, as shown (a report's values' own rows only with
    ``values``)."""
    assert response.status_code == 200
    table = re.search(r'<table id="change-history".*?</table>', response.content.decode(), re.S)
    assert table is not None, "no history table on the page"
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S)[1:]:
        cells = [
            re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", cell))).strip()
            for cell in re.findall(r"<td>(.*?)</td>", row, re.S)
        ]
        rows.append({"what": cells[-4], "by": cells[-3], "reason": cells[-2], "changes": cells[-1]})
    # The report's conversation and files have their own rows (tests/cities test them).
    others = ("value of", "comment on a report", "evidence file")
    return [row for row in rows if values or not any(word in row["what"] for word in others)]
