"""The reasons of a stored result, in the active language.

The pure scoring core writes its reasons in English, and those are what the run stores and
the English documents show. Every other language gets a text composed from the stored numbers
and status only (never scored again), so a Chinese document says exactly what the stored
English reason says, with the same figures: an indicator's rule kind gives the sentences
(their templates and figures), translated here without knowing the kind."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from evaluation import figures
from evaluation.models import CityResult, EvaluationRun, IndicatorResult, TrancheDecision
from evaluation.scoring import rule_kind
from evaluation.scoring.rules import Context
from evaluation.scoring.verified import check_texts
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
    texts = rule_kind(result.kind).reason(result, context)
    if result.checks:
        texts += check_texts(
            checks=[
                (c["period"], Decimal(c["claimed"]), Decimal(c["verified"]), c["stands"])
                for c in result.checks
            ],
            tolerance=run.ruleset.tolerance,
            deducted=result.deducted,
            points=result.points,
        )
    return " ".join(say(text, figures.worded) for text in texts)


def spot_checks(result: IndicatorResult) -> list[dict[str, object]]:
    """What the spot checks of the indicator's values found, one line each, for the scorecard:
    the period, the value claimed, the value verified and whether the claimed one stood."""
    return [
        {
            "period": c["period"],
            "claimed": figures.number(Decimal(c["claimed"])),
            "verified": figures.number(Decimal(c["verified"])),
            "stands": c["stands"],
        }
        for c in result.checks
    ]


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
