"""Rows inserted as rows (``audit.audited_insert_rows``: an import's new values, a run's
decisions) leave what the same rows created as model objects (``audit.audited_bulk_create``)
leave: the rows, their history rows (who, why, every field) and their ledger entries (action,
actor, state), and the keys given back are the rows' own, in order."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import models

from evaluation.bulk import insert_rows_returning_ids
from evaluation.ledger import ledger_check
from evaluation.models import (
    CityResult,
    EvaluationRun,
    Indicator,
    LedgerEntry,
    MetricValue,
    TrancheDecision,
)
from evaluation.services.audit import audited_bulk_create, audited_insert_rows
from evaluation.services.runs import evaluation_run_execute, evaluation_run_request
from tests.factories import CityFactory, ParticipationFactory

pytestmark = pytest.mark.django_db

AT = dt.datetime(2022, 3, 4, 5, 6, 7, 123456, tzinfo=dt.UTC)


def value_rows(city_id: int, reviewer: User) -> list[dict[str, Any]]:
    counts, amounts = (
        Indicator.objects.get(code=code).pk for code in ("transfer_licence_count", "pledge_amount")
    )
    return [
        {
            "city_id": city_id,
            "indicator_id": indicator,
            "year": 2021,
            "granularity": "month",
            "number": month,
            "value": value,
            "status": MetricValue.Status.APPROVED,
            "submitted_by_id": reviewer.pk,
            "submitted_at": AT,
            "approved_by_id": reviewer.pk,
            "approved_at": AT,
        }
        for month, (indicator, value) in enumerate(
            [(counts, Decimal("12")), (amounts, Decimal("0.50")), (amounts, Decimal("0"))]
            + [(counts, Decimal(n)) for n in range(7)],
            start=1,
        )
    ]


def left(model: type[models.Model], pks: list[int], *, apart: tuple[str, ...]) -> list[Any]:
    """What writing the rows ``pks`` left: each row, its history rows and its ledger entries,
    without the keys and fields (``apart``) that differ by construction."""
    subject = {"metricvalue": "metricvalue", "tranchedecision": "decision"}[
        model._meta.model_name or ""
    ]
    out = []
    for pk in pks:
        row = model._default_manager.filter(pk=pk).values().get()
        history = list(
            model.history.filter(id=pk)  # type: ignore[attr-defined]
            .order_by("history_id")
            .values()
        )
        entries = [
            (entry.action, entry.actor, entry.actor_name, json.loads(entry.state))
            for entry in LedgerEntry.objects.filter(subject=subject, object_id=pk).order_by("seq")
        ]
        for record in [row, *history, *(state for *_, state in entries)]:
            for name in ("id", "history_id", "history_date", *apart):
                record.pop(name, None)
        out.append((row, history, entries))
    return out


def test_values_inserted_as_rows_leave_what_model_objects_leave(programme, reviewer):
    one, other = (CityFactory(code=code) for code in ("110100", "120100"))

    # The model objects through django-simple-history (``bulk_create``'s options take that
    # path), the reference.
    created = audited_bulk_create(
        [MetricValue(**row) for row in value_rows(one.pk, reviewer)],
        MetricValue,
        by=reviewer,
        reason="import_metrics b.csv",
        batch_size=100,
    )
    inserted = audited_insert_rows(
        MetricValue, value_rows(other.pk, reviewer), by=reviewer, reason="import_metrics b.csv"
    )

    assert [v.pk for v in created] != inserted
    assert (
        list(
            MetricValue.objects.filter(pk__in=inserted)
            .order_by("number")
            .values_list("pk", flat=True)
        )
        == inserted
    )
    apart = ("city_id",)
    assert left(MetricValue, inserted, apart=apart) == left(
        MetricValue, [v.pk for v in created], apart=apart
    )
    # And what they left is what was asked, the defaults filled in.
    stored = MetricValue.objects.get(pk=inserted[2])
    assert (str(stored.value), stored.flags, stored.report_id) == ("0.00", [], None)
    history = stored.history.get()  # type: ignore[attr-defined]
    assert (history.history_type, history.history_user, history.history_change_reason) == (
        "+",
        reviewer,
        "import_metrics b.csv",
    )
    assert ledger_check().holds


def test_new_objects_created_as_rows_leave_what_model_objects_leave(programme, reviewer):
    """``audited_bulk_create`` of new objects writes them as rows: the same rows, history rows
    (each with its own reason) and ledger entries as django-simple-history's path, and the
    objects get their keys."""
    one, other = (CityFactory(code=code) for code in ("110100", "120100"))

    def why(value: MetricValue) -> str:
        return f"report_values_set report={value.number % 3}"

    reference = audited_bulk_create(
        [MetricValue(**row) for row in value_rows(one.pk, reviewer)],
        MetricValue,
        by=reviewer,
        reason=why,
        batch_size=100,
    )
    objects = [MetricValue(**row) for row in value_rows(other.pk, reviewer)]
    created = audited_bulk_create(objects, MetricValue, by=reviewer, reason=why)

    assert created == objects and all(v.pk is not None for v in objects)
    assert not any(v._state.adding for v in objects)
    assert [v.pk for v in created] == list(
        MetricValue.objects.filter(city=other).order_by("number").values_list("pk", flat=True)
    )
    apart = ("city_id",)
    assert left(MetricValue, [v.pk for v in created], apart=apart) == left(
        MetricValue, [v.pk for v in reference], apart=apart
    )
    reasons = list(
        MetricValue.history.filter(city_id=other.pk)  # type: ignore[attr-defined]
        .order_by("number")
        .values_list("history_change_reason", flat=True)
    )
    assert reasons == [f"report_values_set report={n % 3}" for n in range(1, 11)]
    assert ledger_check().holds


def test_a_runs_decisions_are_the_decisions_model_objects_would_leave(programme):
    ParticipationFactory(programme=programme, city__code="110105")
    run = evaluation_run_request(programme=programme, trigger="command", by=None)
    evaluation_run_execute(run_id=run.pk)
    decision = TrancheDecision.objects.get(city_result__run=run)
    assert EvaluationRun.objects.get(pk=run.pk).status == "succeeded"

    # The same decision written again as a model object, for the result of a second city.
    result = CityResult.objects.get(pk=decision.city_result_id)
    second = ParticipationFactory(programme=programme, city__code="110106")
    (twin,) = insert_rows_returning_ids(
        CityResult,
        [
            {
                field.attname: getattr(result, field.attname)
                for field in CityResult._meta.concrete_fields
                if field.attname != "id"
            }
            | {"participation_id": second.pk}
        ],
    )
    made = audited_bulk_create(
        [
            TrancheDecision(
                city_result_id=twin,
                remaining_amount=decision.remaining_amount,
                recommended_decision=decision.recommended_decision,
                recommended_amount=decision.recommended_amount,
                reason=decision.reason,
            )
        ],
        TrancheDecision,
        by=None,
        reason=decision.history.get().history_change_reason,  # type: ignore[attr-defined]
        ledger=LedgerEntry.objects.get(subject="decision", object_id=decision.pk).action,
    )

    apart = ("city_result_id",)
    assert left(TrancheDecision, [decision.pk], apart=apart) == left(
        TrancheDecision, [made[0].pk], apart=apart
    )
    assert decision.status == "recommended" and decision.final_amount is None


def test_keys_given_back_are_the_rows_own_in_their_order(programme, reviewer):
    city = CityFactory(code="130100")
    rows = value_rows(city.pk, reviewer)[::-1]

    keys = insert_rows_returning_ids(MetricValue, rows)

    assert len(set(keys)) == len(rows)
    assert [MetricValue.objects.get(pk=key).number for key in keys] == [r["number"] for r in rows]
    assert insert_rows_returning_ids(MetricValue, []) == []


def test_a_runs_recommendations_name_no_person_even_run_inside_a_reviewers_request(
    programme, reviewer, rf
):
    """With no broker a run requested from the admin runs inside the reviewer's request, where
    django-simple-history would take the request's user for a history row given none: the
    recommendation is the system's all the same (the reviewer is in the run's own row)."""
    from simple_history.models import HistoricalRecords

    ParticipationFactory(programme=programme, city__code="110105")
    request = rf.post("/admin/evaluation/programme/")
    request.user = reviewer
    HistoricalRecords.context.request = request
    try:
        run = evaluation_run_request(programme=programme, trigger="admin", by=reviewer)
        evaluation_run_execute(run_id=run.pk)
    finally:
        del HistoricalRecords.context.request

    history = TrancheDecision.objects.get(city_result__run=run).history.get()
    assert (history.history_user, history.history_change_reason) == (
        None,
        f"recommended by run #{run.pk}",
    )
    assert EvaluationRun.objects.get(pk=run.pk).triggered_by == reviewer


def test_a_field_that_sets_itself_keeps_one_value_in_row_history_and_ledger(programme, reviewer):
    """A report's ``created_at`` (``auto_now_add``) is set once: the table, the history row,
    the ledger entry and the object hold the same moment, on both databases."""
    from evaluation.models import Report
    from evaluation.scoring import Period
    from evaluation.services.reporting import _new_report

    participation = ParticipationFactory(programme=programme, city__code="110100")
    reports = [
        _new_report(participation, Period.parse(f"2022-{m:02d}"), by=reviewer) for m in (1, 2)
    ]
    audited_bulk_create(reports, Report, by=reviewer, reason="report_created")

    for report in reports:
        stored = Report.objects.get(pk=report.pk)
        history = stored.history.get()  # type: ignore[attr-defined]
        assert report.created_at is not None
        assert stored.created_at == history.created_at == report.created_at
    assert ledger_check().holds
