"""The reasons of a stored result, in the active language.

The pure scoring core writes its reasons in English, and those are what the run stores and
the English documents show. Every other language gets a text composed from the stored numbers
and status only (never scored again), so a Chinese document says exactly what the stored
English reason says, with the same figures: an indicator's rule kind gives the sentences
(their templates and figures), translated here without knowing the kind."""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from evaluation import figures
from evaluation.models import CityResult, EvaluationRun, IndicatorResult, TrancheDecision
from evaluation.scoring import rule_kind
from evaluation.scoring.rules import Context
from evaluation.selectors import programme_spec
from evaluation.vocabulary import Decision, IndicatorStatus, indicator_name, say


def _stored_language() -> bool:
    return (get_language() or "en").startswith("en")


def indicator_reason(result: IndicatorResult, *, run: EvaluationRun) -> str:
    """Why the indicator scored what it did: the sentences its rule kind words from the stored
    figures (``RuleKind.reason``), translated."""
    if _stored_language():
        return result.reason
    context = Context(
        programme=programme_spec(programme=run.programme),
        as_of=run.as_of,
        years_elapsed=run.years_elapsed or 0,
    )
    return " ".join(
        say(text, figures.worded) for text in rule_kind(result.kind).reason(result, context)
    )


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
