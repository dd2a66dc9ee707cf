"""Verifying a stored run: its stored inputs read again with the selector the runs use, scored
again by the pure core under the run's own ruleset version, and compared with what the run
stored (its digests, and every city's and indicator's numbers).

A run's results never change; if they no longer follow from the stored inputs, something was
changed behind the services' back (an approved value, a target or a city's money edited in
the database, a stored result row altered) and the differences say where.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.backends.utils import format_number
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from evaluation import scoring, vocabulary
from evaluation.models import CityResult, EvaluationRun, IndicatorResult, TrancheDecision
from evaluation.scoring.digest import (
    city_outcome_digest,
    combine,
    inputs_header,
    outcome_header,
)
from evaluation.selectors import evaluation_inputs, programme_spec, ruleset_spec, run_results

# What can differ, as the reader of a difference is told it.
WHAT: dict[str, Promise] = {
    "input_digest": _("input digest"),
    "result_digest": _("result digest"),
    "years_elapsed": _("construction years elapsed"),
    "scored": _("scored in the run"),
    "inputs": _("inputs"),
    "remaining_amount": _("remaining amount (yuan)"),
    "score": _("score"),
    "grade": _("grade"),
    "release_share": _("share released"),
    "decision": _("recommended decision"),
    "amount": _("recommended amount (yuan)"),
    "reason": _("reason"),
    "kind": _("rule kind"),
    "status": _("status"),
    "weight": _("weight"),
    "full_target": _("target"),
    "target_source": _("target source"),
    "target": _("mid-term target"),
    "actual": _("actual"),
    "attainment": _("attainment"),
    "points": _("points"),
    "base_value": _("baseline value"),
    "final_value": _("final value"),
}


@dataclass(frozen=True)
class Difference:
    """One thing the stored run says that scoring its stored inputs again does not."""

    city: str | None  # None: the run as a whole
    indicator: str | None  # None: the city as a whole
    what: str  # a key of WHAT
    stored: str
    now: str

    @property
    def label(self) -> str:
        return str(WHAT[self.what])

    def __str__(self) -> str:
        where = {"what": self.label, "stored": self.stored, "now": self.now}
        if self.city is None:
            return gettext("run: %(what)s: stored %(stored)s, now %(now)s") % where
        if self.indicator is None:
            return gettext("city %(city)s: %(what)s: stored %(stored)s, now %(now)s") % {
                **where,
                "city": self.city,
            }
        return gettext(
            "city %(city)s, indicator %(indicator)s: %(what)s: stored %(stored)s, now %(now)s"
        ) % {**where, "city": self.city, "indicator": self.indicator}


@dataclass(frozen=True)
class Verification:
    run: EvaluationRun
    input_digest: str  # of the inputs as they are now ("" if they can no longer be scored)
    result_digest: str  # of scoring them now ("" likewise)
    cities: int
    indicators: int
    differences: tuple[Difference, ...]

    @property
    def matches(self) -> bool:
        return not self.differences


class RunNotVerifiable(Exception):
    """The run has no stored results to verify (it has not finished, or it failed)."""


NONE = "—"


def _shown(value: Any, field: models.Field[Any, Any] | None = None) -> str:
    """A value as stored in ``field``: decimals to its places, choices by their code."""
    if value is None or value == "":
        return NONE
    if isinstance(value, Decimal) and isinstance(field, models.DecimalField):
        return format_number(value, field.max_digits, field.decimal_places) or NONE
    return str(value)


# Words of the programme are compared by their codes and shown by their labels.
CHOICES: dict[str, type[models.TextChoices]] = {
    "status": vocabulary.IndicatorStatus,
    "grade": vocabulary.Grade,
    "decision": vocabulary.Decision,
    "target_source": vocabulary.TargetSource,
    "kind": vocabulary.RuleKind,
}


def _label(what: str, text: str) -> str:
    choices = CHOICES.get(what)
    if choices is None or text not in choices.values:
        return text
    return str(choices(text).label)


def _compare(
    out: list[Difference],
    city: str | None,
    indicator: str | None,
    pairs: Iterable[tuple[str, Any, Any, models.Field[Any, Any] | None]],
) -> None:
    for what, stored, now, field in pairs:
        stored_text, now_text = _shown(stored, field), _shown(now, field)
        if stored_text != now_text:
            out.append(
                Difference(city, indicator, what, _label(what, stored_text), _label(what, now_text))
            )


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def _indicator_differences(
    city: str, stored: IndicatorResult, now: scoring.IndicatorOutcome
) -> list[Difference]:
    out: list[Difference] = []
    numbers = (
        "weight",
        "full_target",
        "target",
        "actual",
        "attainment",
        "points",
        "base_value",
        "final_value",
    )
    _compare(
        out,
        city,
        stored.indicator.code,
        [
            ("kind", stored.kind, now.kind, None),
            ("status", stored.status, str(now.status), None),
            ("target_source", stored.target_source, str(now.target_source), None),
            *(
                (name, getattr(stored, name), getattr(now, name), _field(IndicatorResult, name))
                for name in numbers
            ),
        ],
    )
    if not out:
        _compare(out, city, stored.indicator.code, [("reason", stored.reason, now.reason, None)])
    return out


def _city_differences(stored: CityResult, now: scoring.CityOutcome) -> list[Difference]:
    city = now.city
    decision: TrancheDecision = stored.decision
    out: list[Difference] = []
    if stored.input_digest != now.input_digest:
        out.append(Difference(city, None, "inputs", stored.input_digest, now.input_digest))
    _compare(
        out,
        city,
        None,
        [
            (
                "remaining_amount",
                decision.remaining_amount,
                now.remaining_amount,
                _field(TrancheDecision, "remaining_amount"),
            ),
            ("score", stored.score, now.score, _field(CityResult, "score")),
            ("grade", stored.grade, now.grade, None),
            (
                "release_share",
                stored.release_share,
                now.release_share,
                _field(CityResult, "release_share"),
            ),
            ("decision", decision.recommended_decision, str(now.decision), None),
            (
                "amount",
                decision.recommended_amount,
                now.amount,
                _field(TrancheDecision, "recommended_amount"),
            ),
        ],
    )
    stored_indicators = {r.indicator.code: r for r in stored.indicator_results.all()}
    now_indicators = {i.indicator: i for i in now.indicators}
    for code, outcome in now_indicators.items():
        result = stored_indicators.get(code)
        if result is None:
            out.append(Difference(city, code, "scored", gettext("no"), gettext("yes")))
        else:
            out += _indicator_differences(city, result, outcome)
    for code in stored_indicators.keys() - now_indicators.keys():
        out.append(Difference(city, code, "scored", gettext("yes"), gettext("no")))
    if not out:
        _compare(out, city, None, [("reason", stored.reason, now.reason, None)])
    if not out and stored.result_digest != city_outcome_digest(now):
        out.append(
            Difference(city, None, "result_digest", stored.result_digest, city_outcome_digest(now))
        )
    return out


def _score_each(
    run: EvaluationRun, cities: list[scoring.CityInput]
) -> tuple[dict[str, scoring.CityOutcome], dict[str, tuple[str, ...]], int]:
    """Every city scored on its own, so that inputs one city can no longer be scored on (a
    target edited below the floor) leave the others' comparison intact."""
    spec, rules = programme_spec(programme=run.programme), ruleset_spec(ruleset=run.ruleset)
    outcomes: dict[str, scoring.CityOutcome] = {}
    refused: dict[str, tuple[str, ...]] = {}
    for city in cities:
        try:
            outcome = scoring.evaluate(
                programme=spec, ruleset=rules, as_of=run.as_of, cities=[city]
            )
        except scoring.InputError as exc:
            refused[city.city] = exc.messages
        else:
            outcomes[city.city] = outcome.cities[0]
    return outcomes, refused, scoring.years_elapsed(spec, run.as_of)


def run_verify(*, run: EvaluationRun) -> Verification:
    """Score the run's stored inputs again under its ruleset version and compare.

    Raises ``RunNotVerifiable`` for a run that has not succeeded, and ``scoring.EvaluationError``
    when the run's ruleset itself can no longer be scored with (it was edited in the database)."""
    run = EvaluationRun.objects.select_related("programme", "ruleset__programme").get(pk=run.pk)
    if run.status in (EvaluationRun.Status.QUEUED, EvaluationRun.Status.RUNNING):
        raise RunNotVerifiable(
            gettext(
                "run #%(run)s is %(status)s: it has not finished, so it has no results to "
                "verify yet"
            )
            % {"run": run.pk, "status": run.get_status_display()}
        )
    if run.status != EvaluationRun.Status.SUCCEEDED:
        raise RunNotVerifiable(
            gettext("run #%(run)s failed, so it has no results to verify: %(error)s")
            % {"run": run.pk, "error": run.error}
        )
    stored = {r.participation.city.code: r for r in run_results(run=run)}
    cities, _participations = evaluation_inputs(programme=run.programme, as_of=run.as_of)
    outcomes, refused, years = _score_each(run, cities)

    differences: list[Difference] = []
    _compare(differences, None, None, [("years_elapsed", run.years_elapsed, years, None)])
    for city in sorted(stored.keys() | outcomes.keys() | refused.keys()):
        if city in refused:
            differences.append(
                Difference(
                    city,
                    None,
                    "inputs",
                    gettext("scored") if city in stored else gettext("not in the run"),
                    gettext("can no longer be scored: %(reasons)s")
                    % {"reasons": "; ".join(refused[city])},
                )
            )
        elif city not in stored:
            differences.append(Difference(city, None, "scored", gettext("no"), gettext("yes")))
        elif city not in outcomes:
            differences.append(Difference(city, None, "scored", gettext("yes"), gettext("no")))
        else:
            differences += _city_differences(stored[city], outcomes[city])

    input_digest = result_digest = ""
    if not refused:
        spec = programme_spec(programme=run.programme)
        input_digest = combine(
            inputs_header(spec, run.as_of), ((c, o.input_digest) for c, o in outcomes.items())
        )
        result_digest = combine(
            outcome_header(run.programme.code, run.ruleset.label, years),
            ((c, city_outcome_digest(o)) for c, o in outcomes.items()),
        )
    for what, stored_digest, now_digest in (
        ("input_digest", run.input_digest, input_digest),
        ("result_digest", run.result_digest, result_digest),
    ):
        if stored_digest != now_digest:
            differences.append(Difference(None, None, what, stored_digest, now_digest or NONE))
    return Verification(
        run=run,
        input_digest=input_digest,
        result_digest=result_digest,
        cities=len(stored),
        indicators=sum(len(r.indicator_results.all()) for r in stored.values()),
        differences=tuple(differences),
    )
