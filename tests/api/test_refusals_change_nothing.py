"""Every refused request leaves the database exactly as it was, and says why in the one error
format: ``{"errors": [{"field", "code", "reason"}]}`` for a request, ``{"errors": [{"line",
"column", "code", "reason"}]}`` for the rows of a file, each reason naming what is wrong."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from evaluation.models import CityResult, EvaluationRun, Report, TrancheDecision
from evaluation.scoring import Period
from evaluation.services import reporting
from evaluation.services.runs import evaluation_run_request
from tests.api.conftest import client_for
from tests.conftest import csv_bytes
from tests.factories import add_value, complete

pytestmark = pytest.mark.django_db

# Everything the API can change: the programme's data, its history tables, the cities, the
# users and their API tokens.
SNAPSHOT_APPS = ("auth", "knox", "cities", "evaluation", "reports")


def database_state() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table the API can reach (history tables included), in key order."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for label in SNAPSHOT_APPS
        for model in apps.get_app_config(label).get_models()
    }


def changed_tables(
    before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]]
) -> list[str]:
    """The tables whose rows differ, with how many rows each held before and after."""
    return [
        f"{label}: {len(before.get(label, []))} rows before, {len(after.get(label, []))} after"
        for label in sorted(set(before) | set(after))
        if before.get(label) != after.get(label)
    ]


def assert_one_error_format(body: Any) -> list[dict[str, Any]]:
    """The body is ``{"errors": [...]}``; each error names a field, or a line and column, and
    gives a reason in words and a machine-readable code."""
    assert isinstance(body, dict) and set(body) == {"errors"}, body
    errors = body["errors"]
    assert isinstance(errors, list) and errors, body
    for error in errors:
        assert set(error) in ({"field", "code", "reason"}, {"line", "column", "code", "reason"}), (
            error
        )
        assert isinstance(error["reason"], str) and error["reason"].strip(), error
        assert re.fullmatch(r"[a-z][a-z0-9_]*", error["code"]), error
    return errors


@dataclass
class World:
    """City A (440300) of the 2020 programme with a report in every state, its official, two
    reviewers, and city B (110105) next door."""

    city_a: Any
    city_b: Any
    official: Any
    reviewer: Any
    second_reviewer: Any
    draft: Report  # 2021-03, pledge_projects = 4
    submitted: Report  # 2021-04
    approved: Report  # 2021-05
    empty: Report  # 2021-06, no values yet
    decision: TrancheDecision | None = None


@pytest.fixture
def world(city_a, city_b, official_a, reviewer, second_reviewer) -> World:
    def report(period: str, values: dict[str, str] | None = None) -> Report:
        created = reporting.report_create(
            participation=city_a, period=Period.parse(period), by=official_a
        )
        if values:
            created = reporting.report_values_set(
                report=created, values=complete(values), version=created.version, by=official_a
            )
        return created

    draft = report("2021-03", {"pledge_projects": "4"})
    submitted = reporting.report_submit(
        report=report("2021-04", {"pledge_projects": "5", "pledge_amount": "120.50"}),
        version=None,
        by=official_a,
    )
    approved = reporting.report_approve(
        report=reporting.report_submit(
            report=report("2021-05", {"pledge_projects": "6"}), version=None, by=official_a
        ),
        by=reviewer,
    )
    return World(
        city_a=city_a,
        city_b=city_b,
        official=official_a,
        reviewer=reviewer,
        second_reviewer=second_reviewer,
        draft=draft,
        submitted=submitted,
        approved=approved,
        empty=report("2021-06"),
    )


def _with_decision(world: World, capture: Any) -> None:
    """An official run of the 2020 programme, triggered by ``reviewer``, with city A's
    recommended tranche decision awaiting sign-off."""
    for period, value in (("2020", "1000"), ("2022", "1400")):
        add_value(world.city_a.city, "transfer_licence_count", period, value)
    with capture(execute=True):
        run = evaluation_run_request(
            programme=world.city_a.programme,
            trigger=EvaluationRun.Trigger.API,
            by=world.reviewer,
        )
    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.SUCCEEDED, run.error
    world.decision = CityResult.objects.get(run=run, participation=world.city_a).decision


def _upload(*lines: str) -> Callable[[World], dict[str, Any]]:
    def body(world: World) -> dict[str, Any]:
        data = csv_bytes("city_code,period,indicator,value", *lines)
        return {"file": SimpleUploadedFile("metrics.csv", data, content_type="text/csv")}

    return body


@dataclass
class Refusal:
    """A request that must be refused: who sends it, where, with what, and the answer."""

    id: str
    who: str  # "official", "reviewer" or "second_reviewer"
    method: str
    url: Callable[[World], str]
    status: int
    errors: list[tuple[Any, str]]  # (field, or (line, column); a word the reason contains)
    body: Callable[[World], Any] = field(default=lambda world: {})
    multipart: bool = False
    needs_decision: bool = False


def _values(report: str, values: dict[str, str], version_delta: int = 0):
    def body(world: World) -> dict[str, Any]:
        return {"version": getattr(world, report).version + version_delta, "values": values}

    return body


def _report(report: str, action: str = "") -> Callable[[World], str]:
    return lambda world: f"/api/v1/reports/{getattr(world, report).pk}/{action}"


def _create(period: str) -> Callable[[World], dict[str, Any]]:
    return lambda world: {"participation": world.city_a.pk, "period": period}


def _decision(action: str) -> Callable[[World], str]:
    return lambda world: f"/api/v1/decisions/{world.decision.pk}/{action}/"


def _upload_url(world: World) -> str:
    return f"/api/v1/participations/{world.city_a.pk}/upload/"


REFUSALS = [
    # Values of a report: every bad value named by its indicator, nothing saved.
    Refusal(
        "values-negative",
        "official",
        "put",
        _report("draft", "values/"),
        400,
        [("values.pledge_projects", "negative")],
        body=_values("draft", {"pledge_projects": "-1"}),
    ),
    Refusal(
        "values-not-a-number",
        "official",
        "put",
        _report("draft", "values/"),
        400,
        [("values.pledge_amount", "not a number")],
        body=_values("draft", {"pledge_amount": "lots"}),
    ),
    Refusal(
        "values-amount-with-three-decimals",
        "official",
        "put",
        _report("draft", "values/"),
        400,
        [("values.pledge_amount", "more than 2 decimals")],
        body=_values("draft", {"pledge_amount": "12.345"}),
    ),
    Refusal(
        "values-fractional-count",
        "official",
        "put",
        _report("draft", "values/"),
        400,
        [("values.pledge_projects", "whole number")],
        body=_values("draft", {"pledge_projects": "4.5"}),
    ),
    Refusal(
        "values-unknown-indicator",
        "official",
        "put",
        _report("draft", "values/"),
        400,
        [("values.patents_granted", "unknown indicator")],
        body=_values("draft", {"patents_granted": "3"}),
    ),
    Refusal(
        "values-one-bad-refuses-the-good-ones-too",
        "official",
        "put",
        _report("draft", "values/"),
        400,
        [("values.pledge_amount", "negative")],
        body=_values("draft", {"pledge_projects": "9", "pledge_amount": "-3"}),
    ),
    Refusal(
        "values-none-given",
        "official",
        "put",
        _report("draft", "values/"),
        400,
        [("values", "at least one")],
        body=_values("draft", {}),
    ),
    Refusal(
        "values-without-version",
        "official",
        "put",
        _report("draft", "values/"),
        400,
        [("version", "required")],
        body=lambda world: {"values": {"pledge_projects": "9"}},
    ),
    Refusal(
        "values-stale-version",
        "official",
        "put",
        _report("draft", "values/"),
        409,
        [("version", "has changed since version")],
        body=_values("draft", {"pledge_projects": "9"}, version_delta=-1),
    ),
    Refusal(
        "values-on-a-submitted-report",
        "official",
        "put",
        _report("submitted", "values/"),
        409,
        [(None, "awaiting review")],
        body=_values("submitted", {"pledge_projects": "9"}),
    ),
    Refusal(
        "values-on-an-approved-report",
        "official",
        "put",
        _report("approved", "values/"),
        409,
        [(None, "locked")],
        body=_values("approved", {"pledge_projects": "9"}),
    ),
    Refusal(
        "values-by-a-reviewer",
        "reviewer",
        "put",
        _report("draft", "values/"),
        403,
        [(None, "officials")],
        body=_values("draft", {"pledge_projects": "9"}),
    ),
    # Submitting and reviewing.
    Refusal(
        "submit-with-no-values",
        "official",
        "post",
        _report("empty", "submit/"),
        400,
        [("values", "no values")],
    ),
    Refusal(
        "submit-stale-version",
        "official",
        "post",
        _report("draft", "submit/"),
        409,
        [("version", "has changed since version")],
        body=lambda world: {"version": world.draft.version - 1},
    ),
    Refusal(
        "submit-an-approved-report",
        "official",
        "post",
        _report("approved", "submit/"),
        409,
        [(None, "approved")],
    ),
    Refusal(
        "return-with-a-blank-comment",
        "reviewer",
        "post",
        _report("submitted", "return/"),
        400,
        [("comment", "fix")],
        body=lambda world: {"comment": "   "},
    ),
    Refusal(
        "return-without-comment",
        "reviewer",
        "post",
        _report("submitted", "return/"),
        400,
        [("comment", "required")],
    ),
    Refusal(
        "return-a-draft",
        "reviewer",
        "post",
        _report("draft", "return/"),
        400,
        [("status", "only a submitted report")],
        body=lambda world: {"comment": "too low"},
    ),
    Refusal(
        "reopen-with-a-blank-reason",
        "reviewer",
        "post",
        _report("approved", "reopen/"),
        400,
        [("reason", "reason is required")],
        body=lambda world: {"reason": ""},
    ),
    Refusal(
        "reopen-without-reason",
        "reviewer",
        "post",
        _report("approved", "reopen/"),
        400,
        [("reason", "required")],
    ),
    Refusal(
        "approve-a-draft",
        "reviewer",
        "post",
        _report("draft", "approve/"),
        400,
        [("status", "only a submitted report")],
    ),
    Refusal(
        "approve-by-an-official",
        "official",
        "post",
        _report("submitted", "approve/"),
        403,
        [(None, "reviewers")],
    ),
    Refusal(
        "return-by-an-official",
        "official",
        "post",
        _report("submitted", "return/"),
        403,
        [(None, "reviewers")],
        body=lambda world: {"comment": "mine looks wrong"},
    ),
    Refusal(
        "reopen-by-an-official",
        "official",
        "post",
        _report("approved", "reopen/"),
        403,
        [(None, "reviewers")],
        body=lambda world: {"reason": "a typo"},
    ),
    # Opening a report.
    Refusal(
        "create-before-the-baseline-year",
        "official",
        "post",
        lambda world: "/api/v1/reports/",
        400,
        [("period", "before the baseline year 2019")],
        body=_create("2018-05"),
    ),
    Refusal(
        "create-in-the-future",
        "official",
        "post",
        lambda world: "/api/v1/reports/",
        400,
        [("period", "has not ended")],
        body=_create("2099-01"),
    ),
    Refusal(
        "create-a-quarter-of-a-year-reported-by-month",
        "official",
        "post",
        lambda world: "/api/v1/reports/",
        400,
        [("period", "already reported by month")],
        body=_create("2021-Q3"),
    ),
    Refusal(
        "create-a-thirteenth-month",
        "official",
        "post",
        lambda world: "/api/v1/reports/",
        400,
        [("period", "2021-13")],
        body=_create("2021-13"),
    ),
    Refusal(
        "create-by-a-reviewer",
        "reviewer",
        "post",
        lambda world: "/api/v1/reports/",
        403,
        [(None, "officials")],
        body=_create("2021-07"),
    ),
    # Uploads: all or nothing, every bad row named by line and column.
    Refusal(
        "upload-one-bad-row-among-good-ones",
        "official",
        "post",
        _upload_url,
        400,
        [((3, "value"), "negative")],
        body=_upload(
            "440300,2021-07,pledge_projects,3",
            "440300,2021-08,pledge_projects,-2",
            "440300,2021-09,pledge_projects,5",
        ),
        multipart=True,
    ),
    Refusal(
        "upload-a-row-for-another-city",
        "official",
        "post",
        _upload_url,
        400,
        [((3, "city_code"), "440300")],
        body=_upload(
            "440300,2021-07,pledge_projects,3",
            "110105,2021-07,pledge_projects,3",
        ),
        multipart=True,
    ),
    Refusal(
        "upload-into-an-approved-report",
        "official",
        "post",
        _upload_url,
        400,
        [((2, "period"), "approved"), ((2, "value"), "already approved")],
        body=_upload("440300,2021-05,pledge_projects,7"),
        multipart=True,
    ),
    Refusal(
        "upload-without-a-file",
        "official",
        "post",
        _upload_url,
        400,
        [("file", "no file")],
        multipart=True,
    ),
    Refusal(
        "upload-by-a-reviewer",
        "reviewer",
        "post",
        _upload_url,
        403,
        [(None, "officials")],
        body=_upload("440300,2021-07,pledge_projects,3"),
        multipart=True,
    ),
    # Evaluation runs.
    Refusal(
        "run-triggered-by-an-official",
        "official",
        "post",
        lambda world: "/api/v1/runs/",
        403,
        [(None, "reviewers")],
        body=lambda world: {"programme": "2020"},
    ),
    Refusal(
        "run-for-an-unknown-programme",
        "reviewer",
        "post",
        lambda world: "/api/v1/runs/",
        404,
        [(None, "not found")],
        body=lambda world: {"programme": "1999"},
    ),
    Refusal(
        "run-of-an-unknown-kind",
        "reviewer",
        "post",
        lambda world: "/api/v1/runs/",
        400,
        [("kind", "final")],
        body=lambda world: {"programme": "2020", "kind": "final"},
    ),
    # Signing off tranche decisions.
    Refusal(
        "confirm-by-the-reviewer-who-triggered-the-run",
        "reviewer",
        "post",
        _decision("confirm"),
        409,
        [(None, "triggered the run")],
        needs_decision=True,
    ),
    Refusal(
        "confirm-by-an-official",
        "official",
        "post",
        _decision("confirm"),
        403,
        [(None, "reviewers")],
        needs_decision=True,
    ),
    Refusal(
        "override-by-an-official",
        "official",
        "post",
        _decision("override"),
        403,
        [(None, "reviewers")],
        body=lambda world: {"amount": "0.00", "reason": "we deserve it"},
        needs_decision=True,
    ),
    Refusal(
        "override-with-a-blank-reason",
        "second_reviewer",
        "post",
        _decision("override"),
        400,
        [("reason", "reason is required")],
        body=lambda world: {"amount": "100.00", "reason": "  "},
        needs_decision=True,
    ),
    Refusal(
        "override-above-the-remaining-amount",
        "second_reviewer",
        "post",
        _decision("override"),
        400,
        [("amount", "50000000.00")],
        body=lambda world: {"amount": "50000000.01", "reason": "a bonus"},
        needs_decision=True,
    ),
    Refusal(
        "override-with-a-negative-amount",
        "second_reviewer",
        "post",
        _decision("override"),
        400,
        [("amount", "between 0.00")],
        body=lambda world: {"amount": "-1.00", "reason": "a clawback"},
        needs_decision=True,
    ),
]


@pytest.mark.parametrize("refusal", REFUSALS, ids=lambda refusal: refusal.id)
def test_a_refused_request_says_why_and_changes_nothing(
    refusal: Refusal, world: World, django_capture_on_commit_callbacks
):
    if refusal.needs_decision:
        _with_decision(world, django_capture_on_commit_callbacks)
    client = client_for(getattr(world, refusal.who))
    url, body = refusal.url(world), refusal.body(world)
    before = database_state()

    response = getattr(client, refusal.method)(
        url, body, format="multipart" if refusal.multipart else "json"
    )

    assert response.status_code == refusal.status, response.content
    errors = assert_one_error_format(response.json())
    assert [
        error["field"] if "field" in error else (error["line"], error["column"]) for error in errors
    ] == [where for where, _ in refusal.errors], errors
    for error, (_, word) in zip(errors, refusal.errors, strict=True):
        assert word.lower() in error["reason"].lower(), error
    assert changed_tables(before, database_state()) == []


def test_the_snapshot_sees_a_change(api_a, city_a):
    """The comparison above can fail: an accepted request shows up in the snapshot."""
    before = database_state()
    created = api_a.post(
        "/api/v1/reports/", {"participation": city_a.pk, "period": "2021-03"}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert changed_tables(before, database_state()) == [
        "evaluation.HistoricalReport: 0 rows before, 1 after",
        # The shipped ruleset's entry, then the report's.
        "evaluation.LedgerEntry: 1 rows before, 2 after",
        "evaluation.Report: 0 rows before, 1 after",
    ]
