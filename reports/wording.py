"""The reasons of a stored result, in the active language.

The pure scoring core writes its reasons in English, and those are what the run stores and
the English documents show. Every other language gets a text composed here, from the stored
numbers and status only (never scored again), so a Chinese document says exactly what the
stored English reason says, with the same figures."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from evaluation.models import CityResult, EvaluationRun, IndicatorResult, TrancheDecision
from evaluation.vocabulary import (
    Decision,
    IndicatorStatus,
    RuleKind,
    TargetSource,
    indicator_name,
)
from reports import figures


def _stored_language() -> bool:
    return (get_language() or "en").startswith("en")


def _target_phrase(result: IndicatorResult) -> str:
    if result.target_source == TargetSource.COMMITTED:
        return _("the committed target")
    return _("the national floor")


def _points(values: dict[str, object]) -> str:
    return _("%(points)s of %(weight)s points.") % values


def indicator_reason(result: IndicatorResult, *, run: EvaluationRun) -> str:
    """Why the indicator scored what it did."""
    if _stored_language():
        return result.reason
    if result.kind == RuleKind.GROWTH:
        return _growth_reason(result, run=run)
    return _cumulative_reason(result, run=run)


def _growth_reason(result: IndicatorResult, *, run: EvaluationRun) -> str:
    baseline_year = run.programme.baseline_year
    years = run.years_elapsed or 0
    values = {
        "base_year": baseline_year,
        "final_year": baseline_year + years,
        "base": "—" if result.base_value is None else figures.number(result.base_value),
        "final": "—" if result.final_value is None else figures.number(result.final_value),
        "years": years,
        "actual": figures.actual(result),
        "target": figures.target(result),
        "source": _target_phrase(result),
        "attainment": figures.percent(result.attainment),
        "points": figures.number(result.points),
        "weight": figures.number(result.weight),
    }
    if result.status == IndicatorStatus.NOT_ASSESSABLE:
        if result.base_value is None:
            why = _("the baseline year %(base_year)s is incomplete") % values
        elif result.final_value is None:
            why = _("the year %(final_year)s is incomplete") % values
        else:
            why = (
                _("the baseline value for %(base_year)s is 0, so growth cannot be computed")
                % values
            )
        return _("Not assessable: %(why)s. 0.00 of %(weight)s points; flagged for review.") % {
            "why": why,
            **values,
        }
    if result.status == IndicatorStatus.MET:
        text = _(
            "%(base_year)s: %(base)s to %(final_year)s: %(final)s; average annual growth over "
            "%(years)s years %(actual)s reaches %(source)s of %(target)s."
        )
    elif result.status == IndicatorStatus.PARTIAL:
        text = _(
            "%(base_year)s: %(base)s to %(final_year)s: %(final)s; average annual growth over "
            "%(years)s years %(actual)s is below %(source)s of %(target)s: attainment "
            "%(attainment)s."
        )
    else:
        text = _(
            "%(base_year)s: %(base)s to %(final_year)s: %(final)s; average annual growth over "
            "%(years)s years %(actual)s is not above zero against %(source)s of %(target)s."
        )
    return f"{text % values} {_points(values)}"


def _cumulative_reason(result: IndicatorResult, *, run: EvaluationRun) -> str:
    baseline_year = run.programme.baseline_year
    values = {
        "start": dt.date(baseline_year + 1, 1, 1).isoformat(),
        "as_of": run.as_of.isoformat(),
        "actual": figures.actual(result),
        "full": figures.full_target(result),
        "target": figures.target(result),
        "source": _target_phrase(result),
        "years": run.years_elapsed or 0,
        "length": run.programme.construction_years,
        "attainment": figures.percent(result.attainment),
        "points": figures.number(result.points),
        "weight": figures.number(result.weight),
    }
    if result.status == IndicatorStatus.NOT_ASSESSABLE:
        return (
            _(
                "Not assessable: no approved value in periods from %(start)s to %(as_of)s. "
                "0.00 of %(weight)s points; flagged for review."
            )
            % values
        )
    if result.status == IndicatorStatus.MET:
        text = _(
            "%(actual)s approved from %(start)s to %(as_of)s: reaches %(source)s of %(full)s "
            "pro-rated to %(years)s of %(length)s years, %(target)s."
        )
    elif result.status == IndicatorStatus.PARTIAL:
        text = _(
            "%(actual)s approved from %(start)s to %(as_of)s: attainment %(attainment)s of "
            "%(source)s of %(full)s pro-rated to %(years)s of %(length)s years, %(target)s."
        )
    else:
        text = _(
            "Nothing approved towards %(source)s of %(full)s pro-rated to %(years)s of "
            "%(length)s years, %(target)s, from %(start)s to %(as_of)s."
        )
    return f"{text % values} {_points(values)}"


def decision_reason(city_result: CityResult) -> str:
    """Why the run recommends what it does for the city's second tranche."""
    if _stored_language():
        return city_result.reason
    decision: TrancheDecision = city_result.decision
    values = {
        "score": figures.number(city_result.score),
        "share": figures.percent(city_result.release_share),
        "remaining": figures.money(decision.remaining_amount),
        "amount": figures.money(decision.recommended_amount),
    }
    if decision.recommended_decision == Decision.RELEASE:
        text = _(
            "Total %(score)s points: the grade releases %(share)s of the remaining "
            "%(remaining)s yuan: recommend releasing %(amount)s yuan."
        )
    else:
        text = _(
            "Total %(score)s points: the grade releases nothing of the remaining "
            "%(remaining)s yuan: recommend withholding the second tranche."
        )
    text %= values
    flagged = [
        r for r in city_result.indicator_results.all() if r.status == IndicatorStatus.NOT_ASSESSABLE
    ]
    if flagged:
        names = _(", ").join(indicator_name(r.indicator) for r in flagged)
        text += " " + _("Not assessable, scored 0 and flagged for review: %(names)s.") % {
            "names": names
        }
    return text
