"""The evaluation of a programme at a date: pure, deterministic, Decimal throughout.

``evaluate`` takes the programme, its ruleset, the as-of date and each city's approved values,
and returns every city's points, total, grade and recommended release, each with its reasons.
It reads no clock and no database; ``evaluation.services`` loads the rows and saves the result.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from .decimals import CONTEXT, HUNDRED, TWO_PLACES, ZERO, decimal_sum, quantize
from .digest import city_input_digest, combine, inputs_header
from .rules import RULE_KINDS, Context, show
from .totals import city_totals
from .types import (
    CityInput,
    CityOutcome,
    Decision,
    GradeBand,
    IndicatorOutcome,
    IndicatorRule,
    PeriodTotal,
    ProgrammeOutcome,
    ProgrammeSpec,
    RulesetSpec,
    Status,
)


class EvaluationError(Exception):
    """The evaluation cannot run; ``messages`` says every reason."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = tuple(messages)
        super().__init__("; ".join(self.messages))


class NothingToEvaluate(EvaluationError):
    """No construction year has ended by the as-of date (n = 0)."""


class RulesetError(EvaluationError):
    """The ruleset itself is inconsistent."""


class InputError(EvaluationError):
    """The cities' inputs break a rule of the programme (mixed granularity, target below floor…)."""


def last_ended_year(as_of: dt.date) -> int:
    """The latest year whose 31 December is on or before ``as_of``."""
    return as_of.year if (as_of.month, as_of.day) == (12, 31) else as_of.year - 1


def years_elapsed(programme: ProgrammeSpec, as_of: dt.date) -> int:
    """n = min(L, as_of_year_end - B), never below 0."""
    return max(
        0, min(programme.construction_years, last_ended_year(as_of) - programme.baseline_year)
    )


def check_indicator_rules(rules: Sequence[IndicatorRule]) -> list[str]:
    """Every problem of a ruleset's indicators: each once, a known kind, a floor above 0, a
    weight not negative, and weights adding up to 100 points."""
    problems: list[str] = []
    seen: set[str] = set()
    for rule in rules:
        if rule.indicator in seen:
            problems.append(f"indicator {rule.indicator} appears twice")
        seen.add(rule.indicator)
        if rule.kind not in RULE_KINDS:
            problems.append(f"indicator {rule.indicator}: unknown rule kind {rule.kind!r}")
        if rule.floor <= ZERO:
            problems.append(f"indicator {rule.indicator}: floor must be above 0")
        if rule.weight < ZERO:
            problems.append(f"indicator {rule.indicator}: weight must not be negative")
    if not rules:
        problems.append("the ruleset has no indicators")
    total = decimal_sum(rule.weight for rule in rules)
    if rules and total != 100:
        problems.append(f"the weights add up to {total.normalize(CONTEXT):f}, not 100")
    return problems


def check_bands(bands: Sequence[GradeBand]) -> list[str]:
    """Every problem of a ruleset's grade bands: each grade once, one band from 0 (so every
    total has a grade), release shares between 0 and 1."""
    problems: list[str] = []
    grades = [band.grade for band in bands]
    if len(set(grades)) != len(grades):
        problems.append("a grade appears twice among the bands")
    if not any(band.min_score == ZERO for band in bands):
        problems.append("no grade band starts at 0, so a low total would have no grade")
    for band in bands:
        if not ZERO <= band.release_share <= Decimal(1):
            problems.append(f"grade {band.grade}: release share must be between 0 and 1")
    return problems


def check_ruleset(ruleset: RulesetSpec) -> None:
    problems = check_indicator_rules(ruleset.indicators) + check_bands(ruleset.bands)
    if problems:
        raise RulesetError(problems)


def check_targets(city: CityInput, ruleset: RulesetSpec) -> list[str]:
    """One committed target per indicator, none its rule's kind refuses (below the national
    floor)."""
    rules = {rule.indicator: rule for rule in ruleset.indicators}
    problems: list[str] = []
    seen: set[str] = set()
    for indicator, target in city.targets:
        if indicator in seen:
            problems.append(f"two committed targets for {indicator}")
        seen.add(indicator)
        rule = rules.get(indicator)
        if rule is None:
            continue
        refusal = RULE_KINDS[rule.kind].target_refusal(target=target, floor=rule.floor)
        if refusal is not None:
            why = refusal.in_field % {"floor": rule.floor}
            problems.append(f"committed target {target} for {indicator} is {why}")
    return problems


def grade_for(score: Decimal, bands: Sequence[GradeBand]) -> GradeBand:
    for band in sorted(bands, key=lambda b: b.min_score, reverse=True):
        if score >= band.min_score:
            return band
    raise RulesetError(["no grade band covers a total of " + str(score)])


def release_amount(remaining: Decimal, band: GradeBand) -> Decimal:
    """What ``band`` releases of ``remaining``: the share, rounded half-up to the fen."""
    return quantize(CONTEXT.multiply(remaining, band.release_share), TWO_PLACES)


def _release_text(band: GradeBand) -> str:
    """For example "grade B (from 80.00), which releases 60%"."""
    share = quantize(CONTEXT.multiply(band.release_share, HUNDRED), TWO_PLACES).normalize(CONTEXT)
    return f"grade {band.grade} (from {show(band.min_score)}), which releases {share:f}%"


def evaluate_city(
    city: CityInput, totals: Sequence[PeriodTotal], ruleset: RulesetSpec, context: Context
) -> CityOutcome:
    by_indicator: dict[str, list[PeriodTotal]] = defaultdict(list)
    for total in totals:
        by_indicator[total.indicator].append(total)

    # Duplicates are refused before this; were one to slip through, the first would count.
    committed_targets = dict(reversed(city.targets))
    outcomes: list[IndicatorOutcome] = []
    for rule in ruleset.indicators:
        kind = RULE_KINDS[rule.kind]
        target, source = kind.target(
            rule=rule, committed=committed_targets.get(rule.indicator), city=city
        )
        outcomes.append(
            kind.assess(
                context=context,
                rule=rule,
                target=target,
                source=source,
                totals=by_indicator.get(rule.indicator, ()),
                city=city,
            )
        )

    score = decimal_sum(o.points for o in outcomes)
    band = grade_for(score, ruleset.bands)
    amount = release_amount(city.remaining_amount, band)
    decision = Decision.RELEASE if amount > ZERO else Decision.WITHHOLD
    flagged = [o.indicator for o in outcomes if o.status is Status.NOT_ASSESSABLE]
    reason = (
        f"Total {show(score)} points: {_release_text(band)} "
        f"of the remaining {show(city.remaining_amount)} yuan: "
        + (
            f"recommend releasing {show(amount)} yuan."
            if decision is Decision.RELEASE
            else "recommend withholding the second tranche."
        )
    )
    if flagged:
        reason += f" Not assessable, scored 0 and flagged for review: {', '.join(flagged)}."
    return CityOutcome(
        city=city.city,
        score=quantize(score, TWO_PLACES),
        grade=band.grade,
        release_share=band.release_share,
        remaining_amount=city.remaining_amount,
        decision=decision,
        amount=amount,
        reason=reason,
        indicators=tuple(outcomes),
    )


def evaluate(
    *,
    programme: ProgrammeSpec,
    ruleset: RulesetSpec,
    as_of: dt.date,
    cities: Sequence[CityInput],
) -> ProgrammeOutcome:
    """Evaluate every city; raise ``EvaluationError`` listing every reason it cannot run."""
    check_ruleset(ruleset)
    n = years_elapsed(programme, as_of)
    if n == 0:
        raise NothingToEvaluate(
            [
                f"no construction year of programme {programme.code} has ended by "
                f"{as_of.isoformat()} (baseline {programme.baseline_year}; the first year, "
                f"{programme.baseline_year + 1}, ends on {programme.baseline_year + 1}-12-31): "
                "there is nothing to evaluate"
            ]
        )
    problems: list[str] = []
    totals: dict[str, tuple[PeriodTotal, ...]] = {}
    for city in cities:
        totals[city.city], city_problems = city_totals(
            city.observations, city.totals, as_of=as_of, from_year=programme.baseline_year
        )
        city_problems += check_targets(city, ruleset)
        if city.remaining_amount < ZERO:
            city_problems.append("the remaining amount is negative")
        problems += [f"city {city.city}: {problem}" for problem in city_problems]
    if len(totals) != len(cities):
        problems.append("a city appears twice in the input")
    if problems:
        raise InputError(problems)
    context = Context(programme=programme, as_of=as_of, years_elapsed=n)
    outcomes = tuple(
        replace(
            evaluate_city(city, totals[city.city], ruleset, context),
            input_digest=city_input_digest(
                programme=programme, as_of=as_of, city=city, totals=totals[city.city]
            ),
        )
        for city in sorted(cities, key=lambda c: c.city)
    )
    return ProgrammeOutcome(
        programme=programme.code,
        ruleset=ruleset.label,
        as_of_year_end=last_ended_year(as_of),
        years_elapsed=n,
        input_digest=combine(
            inputs_header(programme, as_of), ((c.city, c.input_digest) for c in outcomes)
        ),
        cities=outcomes,
    )
