"""Helpers of the foresight and follow-through tests (forecast, draft rulesets, rectification):
cities with approved values month by month, and an official run signed off to its end."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from evaluation.models import EvaluationRun, TrancheDecision
from evaluation.models.cities import City
from evaluation.services.decisions import decision_confirm
from tests.factories import add_value


def monthly(city: City, indicator: str, year: int, values: Iterable[int | str]) -> None:
    """Approved values of ``indicator`` for January onwards of ``year``."""
    for month, value in enumerate(values, start=1):
        add_value(city, indicator, f"{year}-{month:02d}", str(value))


def half_way(city: City, *, growth: int = 110, cumulative: int = 5) -> None:
    """Every indicator reported month by month from 2020 to June 2021 (the growth ones with a
    2019 annual figure of 1,200, 100 a month in 2020, ``growth`` a month in 2021; the cumulative
    ones ``cumulative`` a month)."""
    from tests.factories import INDICATORS_2020

    for code in INDICATORS_2020[:4]:
        add_value(city, code, "2019", "1200")
        monthly(city, code, 2020, [100] * 12)
        monthly(city, code, 2021, [growth] * 6)
    for code in INDICATORS_2020[4:]:
        monthly(city, code, 2020, [cumulative] * 12)
        monthly(city, code, 2021, [cumulative] * 6)


def sign_off(run: EvaluationRun, by) -> EvaluationRun:
    """Confirm every decision of ``run``: it is finalised."""
    for decision in TrancheDecision.objects.filter(city_result__run=run):
        decision_confirm(decision=decision, by=by)
    run.refresh_from_db()
    assert run.finalised_at is not None
    return run


def money(value: str) -> Decimal:
    return Decimal(value)
