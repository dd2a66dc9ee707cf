"""The evaluation of a programme at a date: pure, deterministic, Decimal throughout.

``evaluate`` takes the programme, its ruleset, the as-of date and each city's approved values,
and returns every city's points, total, grade and recommended release, each with its reasons.
It reads no clock and no database; ``evaluation.services`` loads the rows and saves the result.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from decimal import Decimal

from .budget import BUDGET_INDICATOR
from .decimals import CONTEXT, HUNDRED, ONE, TWO_PLACES, ZERO, decimal_sum, quantize
from .digest import city_input_digest, combine, inputs_header
from .rules import RULE_KINDS, Context, TaskRule, show
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
    Task,
)
from .verified import checks_read, corrected, with_checks


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


def check_indicator_rules(
    rules: Sequence[IndicatorRule],
    *,
    tasks: Sequence[Task] = (),
    optional_task_weight: Decimal = ZERO,
) -> list[str]:
    """Every problem of a ruleset's indicators: each once, a known kind (one that scores any
    indicator, or the one indicator it scores), a floor above 0 (the kind's own where it has
    one), a weight not negative, and the weights of all the ruleset's parts (the indicators,
    the compulsory tasks and the optional tasks' one weight) adding up to 100 points."""
    problems: list[str] = []
    seen: set[str] = set()
    owned = {k.own_indicator: k.name for k in RULE_KINDS.values() if k.own_indicator}
    for rule in rules:
        if rule.indicator in seen:
            problems.append(f"indicator {rule.indicator} appears twice")
        seen.add(rule.indicator)
        kind = RULE_KINDS.get(rule.kind)
        if kind is None:
            problems.append(f"indicator {rule.indicator}: unknown rule kind {rule.kind!r}")
        elif kind.per_task:
            problems.append(
                f"indicator {rule.indicator}: kind {rule.kind} scores the ruleset's tasks; "
                "add a task instead of a rule"
            )
        elif kind.own_indicator is not None and rule.indicator != kind.own_indicator:
            problems.append(
                f"indicator {rule.indicator}: kind {rule.kind} scores {kind.own_indicator} only"
            )
        elif rule.indicator in owned and rule.kind != owned[rule.indicator]:
            problems.append(
                f"indicator {rule.indicator}: it is scored by kind {owned[rule.indicator]} only"
            )
        elif kind.fixed_floor is not None and rule.floor != kind.fixed_floor:
            problems.append(
                f"indicator {rule.indicator}: a rule of kind {rule.kind} has the floor "
                f"{kind.fixed_floor.normalize(CONTEXT):f}"
            )
        if rule.floor <= ZERO:
            problems.append(f"indicator {rule.indicator}: floor must be above 0")
        if rule.weight < ZERO:
            problems.append(f"indicator {rule.indicator}: weight must not be negative")
    if not rules:
        problems.append("the ruleset has no indicators")
    problems += check_tasks(tasks, optional_task_weight=optional_task_weight, indicators=seen)
    total = decimal_sum(
        [
            *(rule.weight for rule in rules),
            *(task.weight for task in tasks if task.compulsory),
            optional_task_weight if any(not task.compulsory for task in tasks) else ZERO,
        ]
    )
    if rules and total != 100:
        problems.append(f"the weights add up to {total.normalize(CONTEXT):f}, not 100")
    return problems


def check_tasks(
    tasks: Sequence[Task], *, optional_task_weight: Decimal, indicators: Iterable[str] = ()
) -> list[str]:
    """Every problem of a ruleset's tasks: each code once and none an indicator's, a compulsory
    task's weight not negative, an optional one with none of its own, and the optional tasks'
    one weight above 0 when there are optional tasks (and 0 when there are none)."""
    problems: list[str] = []
    codes = set(indicators)
    seen: set[str] = set()
    for task in tasks:
        if task.code in seen:
            problems.append(f"task {task.code} appears twice")
        elif task.code in codes:
            problems.append(f"task {task.code}: an indicator has this code")
        seen.add(task.code)
        if task.compulsory and task.weight < ZERO:
            problems.append(f"task {task.code}: weight must not be negative")
        if not task.compulsory and task.weight != ZERO:
            problems.append(
                f"task {task.code}: an optional task has no weight of its own; it shares "
                "optional_task_weight with the other optional tasks a city chose"
            )
    optional = any(not task.compulsory for task in tasks)
    if optional_task_weight < ZERO:
        problems.append("optional_task_weight must not be negative")
    elif optional and optional_task_weight == ZERO:
        problems.append("optional_task_weight must be above 0 when there are optional tasks")
    elif not optional and optional_task_weight != ZERO:
        problems.append("optional_task_weight is given but the ruleset has no optional task")
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
    problems = check_indicator_rules(
        ruleset.indicators,
        tasks=ruleset.tasks,
        optional_task_weight=ruleset.optional_task_weight,
    ) + check_bands(ruleset.bands)
    if problems:
        raise RulesetError(problems)


def chosen_optional_tasks(ruleset: RulesetSpec, city: CityInput) -> tuple[Task, ...]:
    """The ruleset's optional tasks the city chose, in the ruleset's order (a choice of a task
    the ruleset does not have is not read)."""
    chosen = set(city.optional_tasks)
    return tuple(t for t in ruleset.tasks if not t.compulsory and t.code in chosen)


def city_rules(ruleset: RulesetSpec, city: CityInput) -> tuple[IndicatorRule, ...]:
    """The rules a city is scored by: the ruleset's indicators (the output indicators and
    ``budget_execution``), its compulsory tasks, and the optional tasks the city chose, which
    share the optional tasks' weight equally."""
    task = TaskRule.name
    floor = TaskRule.fixed_floor or ONE
    chosen = chosen_optional_tasks(ruleset, city)
    return (
        *ruleset.indicators,
        *(IndicatorRule(t.code, task, floor, t.weight) for t in ruleset.tasks if t.compulsory),
        *(
            IndicatorRule(t.code, task, floor, ruleset.optional_task_weight, len(chosen))
            for t in chosen
        ),
    )


def check_city_tasks(city: CityInput, ruleset: RulesetSpec) -> list[str]:
    """A city of a ruleset with optional tasks has chosen at least one of them."""
    if any(not t.compulsory for t in ruleset.tasks) and not chosen_optional_tasks(ruleset, city):
        return ["has chosen no optional task; a city chooses at least one in its plan"]
    return []


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
    by_indicator: dict[str, list[PeriodTotal]]
    # Duplicates are refused before this; were one to slip through, the first would count.
    committed_targets = dict(reversed(city.targets))
    outcomes: list[IndicatorOutcome] = []
    rules = city_rules(ruleset, city)
    checks = checks_read(
        city=city, rules=rules, part=ruleset.spot_checks, totals=totals, context=context
    )
    by_indicator = defaultdict(list)
    for total in corrected(totals, checks):
        by_indicator[total.indicator].append(total)
    for rule in rules:
        kind = RULE_KINDS[rule.kind]
        target, source = kind.target(
            rule=rule, committed=committed_targets.get(rule.indicator), city=city
        )
        outcome = kind.assess(
            context=context,
            rule=rule,
            target=target,
            source=source,
            totals=by_indicator.get(rule.indicator, ()),
            city=city,
        )
        outcomes.append(with_checks(outcome, checks.get(rule.indicator, ()), ruleset.spot_checks))

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
    return evaluate_in_parts(programme=programme, ruleset=ruleset, as_of=as_of, parts=(cities,))


def evaluate_in_parts(
    *,
    programme: ProgrammeSpec,
    ruleset: RulesetSpec,
    as_of: dt.date,
    parts: Iterable[Sequence[CityInput]],
    scored: Callable[[Sequence[CityOutcome]], None] | None = None,
) -> ProgrammeOutcome:
    """``evaluate`` of the cities of every part, taken a part at a time (so that the next part
    can be read while one is scored): the same outcome as one call with all the cities,
    whatever the split, and when inputs break a rule the same reasons in the same order (every
    part is checked, none scored once a reason is found).

    ``scored`` is given each part's outcomes as soon as they are made (so that they can be
    stored while the next part is scored); a caller must still keep none of them unless the
    call returns: a later part may break a rule, and then the call raises."""
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
    context = Context(programme=programme, as_of=as_of, years_elapsed=n)
    problems: list[str] = []
    read, seen = 0, set[str]()
    outcomes: list[CityOutcome] = []
    for cities in parts:
        totals: dict[str, tuple[PeriodTotal, ...]] = {}
        for city in cities:
            totals[city.city], city_problems = city_totals(
                city.observations, city.totals, as_of=as_of, from_year=programme.baseline_year
            )
            city_problems += check_targets(city, ruleset)
            if city.remaining_amount < ZERO:
                city_problems.append("the remaining amount is negative")
            city_problems += check_city_tasks(city, ruleset)
            city_problems += [
                f"negative verified value for {v.indicator} in {v.period.label}"
                for v in city.verified
                if v.verified < ZERO
            ]
            if not city_problems:
                for rule in city_rules(ruleset, city):
                    city_problems += RULE_KINDS[rule.kind].input_problems(
                        context=context, rule=rule, city=city
                    )
            problems += [f"city {city.city}: {problem}" for problem in city_problems]
        read += len(cities)
        seen.update(totals)
        if problems or len(seen) != read:
            continue  # nothing more is scored; every part is still checked
        part = [
            replace(
                evaluate_city(city, totals[city.city], ruleset, context),
                input_digest=city_input_digest(
                    programme=programme, as_of=as_of, city=city, totals=totals[city.city]
                ),
            )
            for city in cities
        ]
        outcomes += part
        if scored is not None:
            scored(part)
    if len(seen) != read:
        problems.append("a city appears twice in the input")
    if problems:
        raise InputError(problems)
    outcomes.sort(key=lambda c: c.city)
    return ProgrammeOutcome(
        programme=programme.code,
        ruleset=ruleset.label,
        as_of_year_end=last_ended_year(as_of),
        years_elapsed=n,
        input_digest=combine(
            inputs_header(programme, as_of), ((c.city, c.input_digest) for c in outcomes)
        ),
        cities=tuple(outcomes),
    )


def reads_money(ruleset: RulesetSpec) -> bool:
    """The ruleset scores the money spent (a rule of a kind that scores the budget), so an
    evaluation reads each city's first tranche, plan and expenditure."""
    return any(
        RULE_KINDS[rule.kind].own_indicator == BUDGET_INDICATOR
        for rule in ruleset.indicators
        if rule.kind in RULE_KINDS
    )


def reads_tasks(ruleset: RulesetSpec) -> bool:
    """The ruleset has tasks, so an evaluation reads each city's choices and experts' scores."""
    return bool(ruleset.tasks)
