"""No refusal answers 500: every domain refusal raised through every way in (the API, the
portal, the admin, the reports' pages, the commands, the tasks) comes back as a clear answer
(a status of 4xx, a message, a command's error, a task failed at once and not retried), in
Chinese under a Chinese request, with no English text of the refusal inside.

The services are made to refuse here (each way in is driven to a service it calls, which then
raises): the point is what each way in does with any refusal, including those a service may
only raise one day."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext
from rest_framework.test import APIClient

from evaluation import inputs, workflow
from evaluation.exceptions import (
    FieldError,
    Forbidden,
    FrozenRulesetError,
    ImportRefused,
    Locked,
    NoRuleset,
    NotFound,
    RowError,
    StaleVersion,
    WorkflowError,
)
from evaluation.models import OfficialAssignment, Programme, Report, Ruleset
from evaluation.scoring import Period
from evaluation.services import reporting
from evaluation.services.people import role_grant
from reports.documents import DocumentRefused
from tests.factories import ParticipationFactory, UserFactory, complete

pytestmark = [pytest.mark.django_db, pytest.mark.chinese]


def _refusals() -> dict[str, Callable[[], Exception]]:
    """Each refusal, made in the language active when it is raised (as the services do)."""
    programme = Programme(code="2019")
    return {
        "NotFound": NotFound,
        "Forbidden": lambda: Forbidden(
            gettext("only ministry reviewers and administrators load files")
        ),
        "NoRuleset": lambda: NoRuleset(programme),
        "WorkflowError": lambda: WorkflowError(
            [
                FieldError(
                    "period",
                    inputs.period_not_ended_error(
                        period=Period.parse("2099-01"), today=dt.date(2026, 1, 1)
                    )
                    or "",
                )
            ]
        ),
        "Locked": lambda: Locked(
            workflow.REPORT.locked_reason("approved", period=Period.parse("2021-03")) or ""
        ),
        "StaleVersion": lambda: StaleVersion(Report(version=4), 2),
        "ImportRefused": lambda: ImportRefused(
            "f.csv", [RowError(3, "value", gettext("a value is required"))]
        ),
        "FrozenRulesetError": lambda: FrozenRulesetError(Ruleset(programme=programme, version=1)),
        "DocumentRefused": lambda: DocumentRefused(gettext("only a finished run has documents")),
    }


REFUSALS = list(_refusals())


def words(exc: Exception) -> list[str]:
    """What the refusal says."""
    if isinstance(exc, ImportRefused):
        return [error.reason for error in exc.errors]
    if isinstance(exc, WorkflowError):
        return [error.reason for error in exc.errors]
    if isinstance(exc, FrozenRulesetError):
        return list(exc.messages)
    return [str(exc)] if str(exc) else []


def said_in(language: str, kind: str) -> list[str]:
    with translation.override(language):
        return words(_refusals()[kind]())


@pytest.fixture
def world(programme):
    participation = ParticipationFactory(
        programme=programme, city__code="210100", city__name_zh="沈阳市"
    )
    official = UserFactory(username="li.wei", email="li.wei@example.org")
    OfficialAssignment.objects.create(user=official, participation=participation)
    reviewer = UserFactory(username="reviewer")
    role_grant(user=reviewer, role="reviewer", by=None)
    administrator = UserFactory(username="administrator")
    role_grant(user=administrator, role="administrator", by=None)
    draft = reporting.report_create(
        participation=participation, period=Period.parse("2021-03"), by=official
    )
    submitted = reporting.report_create(
        participation=participation, period=Period.parse("2021-04"), by=official
    )
    submitted = reporting.report_values_set(
        report=submitted, values=complete({}), version=submitted.version, by=official
    )
    submitted = reporting.report_submit(report=submitted, version=None, by=official)
    return {
        "participation": participation,
        "official": official,
        "reviewer": reviewer,
        "administrator": administrator,
        "draft": draft,
        "submitted": submitted,
    }


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def _api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_authenticate(user)
    return client


def _csv() -> SimpleUploadedFile:
    return SimpleUploadedFile("f.csv", b"city_code,period,indicator,value\n")


# Each way in: the service it calls (made to refuse), and the request that reaches it.
WAYS_IN: dict[str, tuple[str, Callable[[dict[str, Any]], Any]]] = {
    "API: a report's values": (
        "evaluation.services.reporting.report_values_set",
        lambda w: _api(w["official"]).put(
            f"/api/v1/reports/{w['draft'].pk}/values/",
            {"version": 1, "values": {"pledge_projects": "1"}},
            format="json",
        ),
    ),
    "API: an upload": (
        "evaluation.services.reporting.reports_upload",
        lambda w: _api(w["official"]).post(
            f"/api/v1/participations/{w['participation'].pk}/upload/",
            {"file": _csv()},
            format="multipart",
        ),
    ),
    "API: a run asked for": (
        "evaluation.api.views.evaluation_run_request",
        lambda w: _api(w["reviewer"]).post("/api/v1/runs/", {"programme": "2020"}, format="json"),
    ),
    "portal: a period's form": (
        "evaluation.services.reporting.report_create",
        lambda w: _client(w["official"]).post(
            f"/city/{w['participation'].pk}/periods/2021-05/",
            {"pledge_projects": "1", "action": "save"},
        ),
    ),
    "portal: an Excel check": (
        "evaluation.services.reporting.reports_upload",
        lambda w: _client(w["official"]).post(
            f"/city/{w['participation'].pk}/excel/", {"action": "check", "file": _csv()}
        ),
    ),
    "portal: where we stand": (
        "cities.selectors.city_standing",
        lambda w: _client(w["official"]).get(f"/city/{w['participation'].pk}/"),
    ),
    "admin: Load a file": (
        "evaluation.admin.files.metrics_import",
        lambda w: _client(w["administrator"]).post(
            "/admin/evaluation/metricvalue/load/",
            {"kind": "metrics", "file": _csv(), "load": "load"},
        ),
    ),
    "admin: approve a report": (
        "evaluation.services.reporting.report_approve",
        lambda w: _client(w["reviewer"]).post(
            "/admin/evaluation/report/",
            {"action": "approve", "_selected_action": [w["submitted"].pk]},
            follow=True,
        ),
    ),
    "admin: run the mid-term evaluation now": (
        "evaluation.services.runs.evaluation_run_request",
        lambda w: _client(w["reviewer"]).post(
            "/admin/evaluation/programme/",
            {
                "action": "evaluate_now",
                "_selected_action": [Programme.objects.get(code="2020").pk],
            },
            follow=True,
        ),
    ),
    "reports: a scorecard": (
        "reports.selectors.scorecard_get",
        lambda w: _client(w["reviewer"]).get("/reports/runs/1/cities/210100/"),
    ),
}


# A page that answers a refusal in its own words: the period's form keeps what was typed and
# says that someone else saved the report meanwhile.
IN_OWN_WORDS = {("portal: a period's form", "StaleVersion")}


@pytest.mark.parametrize("kind", REFUSALS)
@pytest.mark.parametrize("way_in", list(WAYS_IN))
def test_every_refusal_through_every_page_and_endpoint(way_in, kind, world, monkeypatch):
    target, send = WAYS_IN[way_in]
    refusals = _refusals()

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise refusals[kind]()

    monkeypatch.setattr(target, refuse)
    response = send(world)

    assert response.status_code < 500, response.content.decode()[:3000]
    shown = html.unescape(response.content.decode())
    for chinese, english in zip(said_in("zh-hans", kind), said_in("en", kind), strict=True):
        assert english not in shown
        if (way_in, kind) not in IN_OWN_WORDS:
            assert chinese in shown, (chinese, shown[:3000])
    if kind == "NotFound":
        assert "Not found" not in shown and "Not Found" not in shown
        assert "未找到" in shown


COMMANDS: dict[str, tuple[str, list[str]]] = {
    "import_metrics": (
        "evaluation.management.commands.import_metrics.metrics_import",
        ["import_metrics", "FILE"],
    ),
    "import_cities": (
        "evaluation.management.commands.import_cities.cities_import",
        ["import_cities", "FILE", "--programme", "2020"],
    ),
    "evaluate": (
        "reports.management.commands.evaluate.evaluation_run_request",
        ["evaluate", "--programme", "2020"],
    ),
    "assign_official": (
        "evaluation.management.commands.assign_official.official_assign",
        ["assign_official", "li.wei", "--city", "210100", "--programme", "2020"],
    ),
}


@pytest.mark.parametrize("kind", [k for k in REFUSALS if k != "DocumentRefused"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_refusal_through_every_command(command, kind, world, monkeypatch, tmp_path):
    target, arguments = COMMANDS[command]
    refusals = _refusals()
    path = tmp_path / "f.csv"
    path.write_bytes(b"city_code,period,indicator,value\n")

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise refusals[kind]()

    monkeypatch.setattr(target, refuse)
    with pytest.raises(CommandError) as refused:
        call_command(*[str(path) if a == "FILE" else a for a in arguments])

    said = str(refused.value)
    for chinese, english in zip(said_in("zh-hans", kind), said_in("en", kind), strict=True):
        assert chinese in said and english not in said
    if kind == "NotFound":
        assert said == "未找到"


TASKS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "the officials' email": (
        "evaluation.services.notices.officials_notify",
        "evaluation.tasks.notify_officials",
        {"report_id": 1, "version": 1, "kind": "approved"},
    ),
    "the reviewers' email": (
        "evaluation.services.reporting.reviewers_notify",
        "evaluation.tasks.notify_reviewers",
        {"report_id": 1, "version": 1},
    ),
    "the reminders": (
        "evaluation.services.reminders.reminders_send",
        "evaluation.tasks.send_report_reminders",
        {},
    ),
    "a kept document": (
        "reports.tasks.document_build",
        "reports.tasks.build_document",
        {"document_id": 1},
    ),
}


@pytest.mark.parametrize("kind", REFUSALS)
@pytest.mark.parametrize("task", list(TASKS))
def test_every_refusal_in_every_task_fails_it_at_once(task, kind, world, monkeypatch):
    """A task meeting a refusal fails at once, recorded with its reason: no retry cures it."""
    from config.celery import app

    target, name, kwargs = TASKS[task]
    refusals = _refusals()
    calls = []

    def refuse(*args: Any, **kw: Any) -> Any:
        calls.append(1)
        raise refusals[kind]()

    monkeypatch.setattr(target, refuse)
    result = app.tasks[name].apply(kwargs=kwargs, throw=False)

    assert result.state == "FAILURE"
    # Celery keeps an exception it cannot pickle by its class's name (and a ValidationError
    # comes back as one, whatever its subclass).
    failed = getattr(result.result, "exc_cls_name", type(result.result).__name__)
    assert failed == {"FrozenRulesetError": "ValidationError"}.get(kind, kind)
    assert len(calls) == 1


@pytest.fixture
def batch_without_ruleset(db):
    """A city of the 2019 batch, which has no ruleset yet, and its official."""
    participation = ParticipationFactory(
        programme=Programme.objects.get(code="2019"),
        city__code="440300",
        total_amount="150000000.00",
        first_tranche="100000000.00",
    )
    official = UserFactory(username="zhang.min")
    OfficialAssignment.objects.create(user=official, participation=participation)
    return participation, official


NO_RULESET = "批次 2019 尚无规则集：须由管理员先在管理后台（规则集 → 增加规则集）中添加"


def test_saving_values_for_a_batch_without_a_ruleset_is_refused_cleanly(batch_without_ruleset):
    participation, official = batch_without_ruleset
    api = _api(official)
    report = api.post(
        "/api/v1/reports/", {"participation": participation.pk, "period": "2021-03"}, format="json"
    )
    assert report.status_code == 201

    values = api.put(
        f"/api/v1/reports/{report.json()['id']}/values/",
        {"version": report.json()["version"], "values": {"pledge_projects": "4"}},
        format="json",
    )
    submitted = api.post(f"/api/v1/reports/{report.json()['id']}/submit/", {}, format="json")
    uploaded = api.post(
        f"/api/v1/participations/{participation.pk}/upload/",
        {
            "file": SimpleUploadedFile(
                "f.csv", b"city_code,period,indicator,value\n440300,2021-03,pledge_projects,4\n"
            )
        },
        format="multipart",
    )

    for response in (values, uploaded):
        assert response.status_code == 400, response.content.decode()
        assert NO_RULESET in response.json()["errors"][0]["reason"]
    assert submitted.status_code == 400  # it has no values to submit


def test_the_portal_of_a_batch_without_a_ruleset_says_so_on_every_page(batch_without_ruleset):
    participation, official = batch_without_ruleset
    portal = _client(official)

    for page in ("", "periods/2021-03/", "excel/template.xlsx"):
        response = portal.get(f"/city/{participation.pk}/{page}")
        assert response.status_code == 409, page
        assert NO_RULESET in response.content.decode()
    assert portal.get(f"/city/{participation.pk}/periods/").status_code == 200
