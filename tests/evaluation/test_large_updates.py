"""A load that changes many stored values at once (a corrected file) writes them with an
upsert instead of Django's ``bulk_update`` (``services.audit.UPDATE_BATCH``): the same values,
history rows (who, why, old and new) and ledger entries either way, and a model whose fields set
themselves on save keeps ``bulk_update``."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from evaluation.ledger import ledger_check, state_of, state_text
from evaluation.models import LedgerEntry, MetricValue
from evaluation.models.cities import City
from evaluation.models.panel import TaskScore
from evaluation.services import audit
from evaluation.services.imports import metrics_import
from tests.conftest import csv_bytes
from tests.factories import CityFactory, ParticipationFactory

pytestmark = pytest.mark.django_db

MONTHS = [f"2021-{m:02d}" for m in range(1, 13)]


def rows(code: str, base: int) -> list[str]:
    counts = "transfer_licence_count"
    return [f"{code},{month},{counts},{base + n}" for n, month in enumerate(MONTHS)] + [
        f"{code},{month},pledge_amount,{base + n}.25" for n, month in enumerate(MONTHS)
    ]


def load(lines: list[str], by, name: str):
    return metrics_import(
        name=name, data=csv_bytes("city_code,period,indicator,value", *lines), approve=True, by=by
    )


def written(city: City) -> list[tuple]:
    """Everything a change leaves of a city's values, without keys and times."""
    out = []
    for value in MetricValue.objects.filter(city=city).order_by("indicator_id", "number"):
        history = [
            (h.history_type, h.value, h.status, h.history_user_id, h.history_change_reason)
            for h in value.history.order_by("history_id")
        ]
        entries = [
            (e.action, e.actor, json_of(e.state))
            for e in LedgerEntry.objects.filter(subject="metricvalue", object_id=value.pk)
        ]
        assert entries[-1][2] == json_of(state_text(state_of("metricvalue", value)))
        out.append((value.indicator_id, value.number, value.value, history, entries))
    return out


def json_of(text: str) -> dict:
    state = json.loads(text)
    # What differs between two cities by construction: their keys and the times of the steps.
    for name in ("city_id", "submitted_at", "approved_at"):
        state.pop(name)
    return state


def test_many_changes_leave_what_few_changes_leave(programme, reviewer, monkeypatch):
    one, other = (
        ParticipationFactory(programme=programme, city=CityFactory(code=code)).city
        for code in ("110100", "120100")
    )
    load(rows("110100", 10) + rows("120100", 10), reviewer, "first.csv")

    # The same correction of each city: one below the threshold (bulk_update), one above.
    load(rows("110100", 50), reviewer, "fix.csv")
    monkeypatch.setattr(audit, "UPDATE_BATCH", 5)
    summary = load(rows("120100", 50), reviewer, "fix.csv")

    assert (summary.created, summary.updated, summary.unchanged) == (0, 24, 0)
    assert MetricValue.objects.get(
        city=other, indicator__code="pledge_amount", year=2021, number=3
    ).value == Decimal("52.25")
    assert written(one) == written(other)
    assert ledger_check().holds


def test_a_model_that_sets_its_own_fields_keeps_bulk_update():
    assert audit._sets_itself(TaskScore)
    assert not audit._sets_itself(MetricValue)


def test_an_upsert_refuses_rows_not_saved_or_given_twice(programme, reviewer, monkeypatch):
    """Where ``bulk_update`` would refuse an unsaved row or take a row once, an upsert would
    insert it or fail in the database: refused before anything is written."""
    city = ParticipationFactory(programme=programme, city=CityFactory(code="130100")).city
    load(rows("130100", 10), reviewer, "first.csv")
    values = list(MetricValue.objects.filter(city=city))
    monkeypatch.setattr(audit, "UPDATE_BATCH", 1)
    for given in (values[:2] + values[:1], [*values[:2], MetricValue(city=city)]):
        with pytest.raises(ValueError, match="each once"):
            audit.audited_bulk_update(given, MetricValue, ["value"], by=reviewer, reason="x")
    assert MetricValue.objects.filter(city=city).count() == len(values)
