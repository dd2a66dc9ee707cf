"""Verifying a stored run: its stored inputs read again with the selector the runs use, scored
again by the pure core under the run's own ruleset version, and compared with what the run
stored (its digests, and every city's and indicator's numbers).

A run's results never change; if they no longer follow from the stored inputs, something was
changed behind the services' back (an approved value, a target or a city's money edited in
the database, a stored result row altered) and the differences say where.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.backends.utils import format_number
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from evaluation import scoring, vocabulary, workflow
from evaluation.models import CityResult, EvaluationRun, IndicatorResult, TrancheDecision
from evaluation.scoring.digest import (
    canonical_decimal,
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
    "deducted": _("points deducted"),
    "checks": _("spot checks"),
    # The sign-off, against the ledger and the rules of sign-off.
    "sign_off": _("sign-off"),
    "final_decision": _("final decision"),
    "final_amount": _("final amount (yuan)"),
    "decided_by": _("decided by"),
    "decided_at": _("decided at"),
    "override_reason": _("override reason"),
    "recommendation_reason": _("reason for the recommendation"),
    "ledger": _("ledger"),
    "rule": _("rule"),
    "recommended_total": _("recommended in all (yuan)"),
    "released_total": _("released in all (yuan)"),
    "finalised": _("finalised"),
    # The run's kept documents.
    "file": _("file"),
    "sha256": _("SHA-256"),
}


@dataclass(frozen=True)
class Difference:
    """One thing the stored run says that scoring its stored inputs again does not (or that its
    ledger, the rules of sign-off or its kept documents say otherwise)."""

    city: str | None  # None: the run as a whole
    indicator: str | None  # None: the city as a whole
    what: str  # a key of WHAT
    stored: str
    now: str
    document: str | None = None  # a kept document that records ``stored``
    in_ledger: bool = False  # ``stored`` is what the ledger recorded

    @property
    def label(self) -> str:
        return str(WHAT[self.what])

    def __str__(self) -> str:
        where = {"what": self.label, "stored": self.stored, "now": self.now}
        if self.document is not None:
            return gettext(
                "document %(document)s: %(city)s%(what)s: recorded %(stored)s, now %(now)s"
            ) % {
                **where,
                "document": self.document,
                "city": gettext("city %(city)s, ") % {"city": self.city} if self.city else "",
            }
        if self.what == "rule":
            if self.city is None:
                return gettext("run: %(rule)s") % {"rule": self.now}
            return gettext("city %(city)s: %(rule)s") % {"city": self.city, "rule": self.now}
        if self.what == "ledger":
            return gettext("city %(city)s: %(what)s: %(now)s") % {**where, "city": self.city}
        if self.in_ledger:
            if self.city is None:
                return gettext("run: %(what)s: in the ledger %(stored)s, now %(now)s") % where
            return gettext("city %(city)s: %(what)s: in the ledger %(stored)s, now %(now)s") % {
                **where,
                "city": self.city,
            }
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


def _checks_of(outcome: scoring.IndicatorOutcome) -> list[dict[str, Any]]:
    return [
        {
            "period": c.period.label,
            "claimed": canonical_decimal(c.claimed),
            "verified": canonical_decimal(c.verified),
            "stands": c.stands,
        }
        for c in outcome.checks
    ]


def _checks_text(checks: list[dict[str, Any]]) -> str:
    """The spot checks an indicator read, in one line (the verified values it read)."""
    return (
        "; ".join(
            f"{c['period']} {c['claimed']}→{c['verified']}{'' if c['stands'] else ' ≠'}"
            for c in checks
        )
        or NONE
    )


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
        "deducted",
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
            ("checks", _checks_text(stored.checks), _checks_text(_checks_of(now)), None),
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
    cities, _participations = evaluation_inputs(
        programme=run.programme,
        as_of=run.as_of,
        ruleset=ruleset_spec(ruleset=run.ruleset),
        checked_by=run.started_at,
    )
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
    differences += sign_off_differences(run)
    differences += document_differences(run)
    return Verification(
        run=run,
        input_digest=input_digest,
        result_digest=result_digest,
        cities=len(stored),
        indicators=sum(len(r.indicator_results.all()) for r in stored.values()),
        differences=tuple(differences),
    )


# The decision: every sign-off against its ledger entries and the rules of sign-off ------------

# A decision's fields as the ledger keeps them, and what a difference in each is called.
DECISION_FIELDS = {
    "status": "sign_off",
    "final_decision": "final_decision",
    "final_amount": "final_amount",
    "decided_by_id": "decided_by",
    "decided_at": "decided_at",
    "override_reason": "override_reason",
    "recommended_decision": "decision",
    "recommended_amount": "amount",
    "remaining_amount": "remaining_amount",
    "reason": "recommendation_reason",
}
SIGNED = workflow.SIGNED
CONFIRMED, OVERRIDDEN = (
    workflow.DECISION.target_of("confirm"),
    workflow.DECISION.target_of("override"),
)
STATUS_WORDS: dict[str, Promise] = dict(TrancheDecision.Status.choices)


def _people(ids: Iterable[Any]) -> dict[int, str]:
    from django.contrib.auth.models import User

    return dict(User.objects.filter(pk__in={i for i in ids if i}).values_list("pk", "username"))


def _word(field: str, value: Any, people: dict[int, str]) -> str:
    if value is None or value == "":
        return NONE
    if field == "status":
        return str(STATUS_WORDS.get(value, value))
    if field in ("final_decision", "recommended_decision"):
        return _label("decision", str(value))
    if field == "decided_by_id":
        return people.get(value, f"#{value}")
    return str(value)


def _total(amounts: Iterable[str | None]) -> str:
    return f"{sum((Decimal(a) for a in amounts if a is not None), Decimal(0)):f}"


def _rule_breaches(
    run: EvaluationRun, city: str, now: dict[str, Any], people: dict[int, str]
) -> list[str]:
    """The rules of sign-off a decision breaks as it stands (whatever its ledger says)."""
    out: list[str] = []
    status = now["status"]
    if status not in SIGNED:
        if now["final_amount"] is not None or now["decided_by_id"] is not None:
            out.append(gettext("a decision awaiting sign-off has a final amount or a signer"))
        return out
    if run.kind != EvaluationRun.Kind.OFFICIAL:
        out.append(gettext("a provisional run's decision is signed off"))
    if now["decided_by_id"] is None or now["decided_at"] is None or now["final_amount"] is None:
        out.append(gettext("signed off without a signer, a time or a final amount"))
    if now["decided_by_id"] is not None and now["decided_by_id"] == run.triggered_by_id:
        out.append(
            gettext("four-eyes rule broken: signed off by %(person)s, who triggered the run")
            % {"person": people.get(now["decided_by_id"], now["decided_by_id"])}
        )
    if status == CONFIRMED and (
        now["final_amount"] != now["recommended_amount"]
        or now["final_decision"] != now["recommended_decision"]
        or now["override_reason"]
    ):
        out.append(
            gettext(
                "confirmed, but the final decision %(final)s is not the recommended %(recommended)s"
            )
            % {
                "final": _word("final_decision", now["final_decision"], people)
                + f" {now['final_amount'] or NONE}",
                "recommended": _word("recommended_decision", now["recommended_decision"], people)
                + f" {now['recommended_amount']}",
            }
        )
    if status == OVERRIDDEN:
        if not now["override_reason"]:
            out.append(gettext("overridden without a reason"))
        amount = Decimal(now["final_amount"] or "0")
        if not Decimal(0) <= amount <= Decimal(now["remaining_amount"]):
            out.append(gettext("overridden with an amount outside 0 to the remaining amount"))
        if now["final_decision"] != ("release" if amount > 0 else "withhold"):
            out.append(gettext("overridden, but the final decision does not follow its amount"))
    return out


def sign_off_differences(run: EvaluationRun) -> list[Difference]:
    """Every decision of the run against its last ledger entry (a sign-off changed behind the
    services' back), against the rules of sign-off (confirmed means the recommendation, an
    override has its reason, the four-eyes rule), its sign-off entry against the person it
    names, the run's totals, and whether the run is finalised exactly when every decision is
    signed off."""
    from evaluation.ledger import BEGAN, state_of
    from evaluation.models import LedgerEntry

    decisions = {
        d.pk: d
        for d in TrancheDecision.objects.filter(city_result__run=run).select_related(
            "city_result__participation__city"
        )
    }
    if not decisions:
        return []
    entries: dict[int, list[Any]] = {}
    for entry in LedgerEntry.objects.filter(subject="decision", object_id__in=list(decisions)):
        entries.setdefault(entry.object_id, []).append(entry)
    now_states = {pk: state_of("decision", d) for pk, d in decisions.items()}
    recorded = {pk: json.loads(e[-1].state) for pk, e in entries.items()}
    people = _people(
        [s.get("decided_by_id") for s in (*now_states.values(), *recorded.values())]
        + [run.triggered_by_id]
    )
    out: list[Difference] = []
    for pk, decision in sorted(
        decisions.items(), key=lambda item: item[1].city_result.participation.city.code
    ):
        city = decision.city_result.participation.city.code
        now = now_states[pk]
        kept = recorded.get(pk)
        if kept is None:
            out.append(
                Difference(
                    city,
                    None,
                    "ledger",
                    NONE,
                    gettext(
                        "the decision is not in the ledger: it was written behind the "
                        "services' back"
                    ),
                )
            )
        else:
            for field, what in DECISION_FIELDS.items():
                if kept.get(field) != now.get(field):
                    out.append(
                        Difference(
                            city,
                            None,
                            what,
                            _word(field, kept.get(field), people),
                            _word(field, now.get(field), people),
                            in_ledger=True,
                        )
                    )
            signing = [e for e in entries[pk] if json.loads(e.state).get("status") in SIGNED]
            if (
                signing
                and signing[0].action != BEGAN
                and signing[0].actor != json.loads(signing[0].state).get("decided_by_id")
            ):
                out.append(
                    Difference(
                        city,
                        None,
                        "rule",
                        NONE,
                        gettext("the sign-off was made by %(actor)s, not by the signer it names")
                        % {"actor": signing[0].actor_name or NONE},
                    )
                )
            if len(signing) > 1:
                out.append(
                    Difference(
                        city,
                        None,
                        "rule",
                        NONE,
                        gettext("the decision was changed after it was signed off"),
                    )
                )
        out += [
            Difference(city, None, "rule", NONE, why)
            for why in _rule_breaches(run, city, now, people)
        ]

    for what, field in (
        ("recommended_total", "recommended_amount"),
        ("released_total", "final_amount"),
    ):
        then = _total(recorded.get(pk, now_states[pk]).get(field) for pk in decisions)
        current = _total(state[field] for state in now_states.values())
        if then != current:
            out.append(Difference(None, None, what, then, current, in_ledger=True))
    unsigned = [pk for pk, state in now_states.items() if state["status"] not in SIGNED]
    if run.finalised_at is not None and unsigned:
        out.append(
            Difference(
                None,
                None,
                "rule",
                NONE,
                gettext("the run is finalised, but %(count)s of its decisions await sign-off")
                % {"count": len(unsigned)},
            )
        )
    if run.finalised_at is None and not unsigned and run.kind == EvaluationRun.Kind.OFFICIAL:
        out.append(
            Difference(
                None,
                None,
                "rule",
                NONE,
                gettext("every decision is signed off, but the run is not finalised"),
            )
        )
    return out


# The run's kept documents ---------------------------------------------------------------------

# What a kept document records of each city (and the run's totals) when it is built: what it
# shows, so that a document that no longer says what the run holds is found.
FIGURES = (
    "score",
    "grade",
    "recommended_decision",
    "recommended_amount",
    "status",
    "final_decision",
    "final_amount",
    "decided_by",
    "override_reason",
)
SIGN_OFF_FIGURES = {"status", "final_decision", "final_amount", "decided_by", "override_reason"}


def run_figures(*, run_id: int, participation_id: int | None = None) -> dict[str, Any]:
    """The figures a document of the run shows (one city's for a scorecard), as recorded with
    the document when it is built."""
    from evaluation.ledger import field_text

    decisions = TrancheDecision.objects.filter(city_result__run_id=run_id).select_related(
        "city_result__participation__city", "decided_by"
    )
    if participation_id is not None:
        decisions = decisions.filter(city_result__participation_id=participation_id)
    cities: dict[str, dict[str, Any]] = {}
    for decision in decisions:
        result = decision.city_result
        cities[result.participation.city.code] = {
            "score": field_text(result, "score"),
            "grade": result.grade,
            "recommended_decision": decision.recommended_decision,
            "recommended_amount": field_text(decision, "recommended_amount"),
            "status": decision.status,
            "final_decision": decision.final_decision,
            "final_amount": field_text(decision, "final_amount"),
            "decided_by": decision.decided_by.username if decision.decided_by else None,
            "override_reason": decision.override_reason,
        }
    signed = all(c["status"] in SIGNED for c in cities.values())
    return {
        "cities": cities,
        "recommended": _total(c["recommended_amount"] for c in cities.values()),
        "released": _total(c["final_amount"] for c in cities.values()) if signed else None,
    }


def _document_name(document: Any) -> str:
    parts = [str(document.get_kind_display()), document.language]
    if document.participation_id is not None:
        parts.append(document.participation.city.code)
    return " · ".join(parts)


def _figure_word(name: str, value: Any) -> str:
    if value is None or value == "":
        return NONE
    if name == "status":
        return str(STATUS_WORDS.get(value, value))
    if name in ("recommended_decision", "final_decision"):
        return _label("decision", str(value))
    if name == "grade":
        return _label("grade", str(value))
    return str(value)


FIGURE_WHAT = {
    "score": "score",
    "grade": "grade",
    "recommended_decision": "decision",
    "recommended_amount": "amount",
    "status": "sign_off",
    "final_decision": "final_decision",
    "final_amount": "final_amount",
    "decided_by": "decided_by",
    "override_reason": "override_reason",
}


def document_differences(run: EvaluationRun) -> list[Difference]:
    """Every kept document of the run: its file still has the digest recorded when it was built,
    and the figures it recorded are what the run holds now. A document built before a sign-off
    shows the decision awaiting it (and is built again when next asked for): only a figure it
    recorded as signed off must still be so."""
    from reports.models import Document

    out: list[Difference] = []
    for document in Document.objects.filter(run=run, status=Document.Status.READY).select_related(
        "participation__city"
    ):
        name = _document_name(document)
        try:
            with document.file.open("rb") as kept:
                digest = hashlib.sha256(kept.read()).hexdigest()
        except (FileNotFoundError, ValueError, OSError):
            out.append(
                Difference(None, None, "file", gettext("kept"), gettext("not found on disk"), name)
            )
            continue
        if digest != document.sha256:
            out.append(Difference(None, None, "sha256", document.sha256, digest, name))
        recorded = document.figures or {}
        if not recorded:
            continue
        now = run_figures(run_id=run.pk, participation_id=document.participation_id)
        for city, then in sorted(recorded.get("cities", {}).items()):
            current = now["cities"].get(city, {})
            signed = then.get("status") in SIGNED
            for figure in FIGURES:
                if figure in SIGN_OFF_FIGURES and not signed:
                    continue
                if then.get(figure) != current.get(figure):
                    out.append(
                        Difference(
                            city,
                            None,
                            FIGURE_WHAT[figure],
                            _figure_word(figure, then.get(figure)),
                            _figure_word(figure, current.get(figure)),
                            name,
                        )
                    )
        for what, key in (("recommended_total", "recommended"), ("released_total", "released")):
            if recorded.get(key) is not None and recorded.get(key) != now.get(key):
                out.append(Difference(None, None, what, recorded[key], now.get(key) or NONE, name))
    return out
