"""Reads of the city's self-evaluation (自评) and the province's review (省级复核): the
evaluation dates a city evaluates itself for, the engine's figures at one of them as they stand
now (the scoring core's own ``evaluate``, on the approved values an evaluation would read), and
the self-evaluations and reports each person may see: the city's officials their own, a
provincial reviewer its province's cities' (in a programme with the provincial review), the
ministry's reviewers every one. Anyone else is told nothing exists (``NotFound``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet

from evaluation import vocabulary, workflow
from evaluation.access import (
    get_or_not_found,
    is_reviewer,
    participations_for,
    province_participations_for,
    province_reports_for,
    reviewer_province,
)
from evaluation.exceptions import NotFound
from evaluation.figures import money
from evaluation.models import (
    Indicator,
    Participation,
    Programme,
    ProvincialOpinion,
    Report,
    SelfEvaluation,
)
from evaluation.provinces import province_name, province_of
from evaluation.scoring import CityOutcome, rule_kind
from evaluation.scoring.engine import evaluate
from evaluation.scoring.rules import show, show_percent
from evaluation.selectors import (
    evaluation_inputs,
    programme_spec,
    ruleset_current,
    ruleset_spec,
)

LIFECYCLE = workflow.SELF_EVALUATION
MET = vocabulary.IndicatorStatus.MET.value


def evaluation_dates(*, programme: Programme) -> list[dt.date]:
    """The dates a city evaluates itself for: the mid-term evaluation's, then the end of the
    construction years."""
    final = dt.date(programme.baseline_year + programme.construction_years, 12, 31)
    return sorted({programme.midterm_as_of, final})


def engine_figures(*, participation: Participation, as_of: dt.date) -> CityOutcome:
    """The city's outcome at ``as_of`` as an evaluation run now would score it: the current
    ruleset, the approved values and committed targets, through the scoring core. Raises
    ``EvaluationError`` with the engine's reasons when it cannot be scored."""
    programme = participation.programme
    ruleset = ruleset_spec(ruleset=ruleset_current(programme=programme))
    cities, _found = evaluation_inputs(
        programme=programme, as_of=as_of, participation_ids=[participation.pk], ruleset=ruleset
    )
    outcome = evaluate(
        programme=programme_spec(programme=programme), ruleset=ruleset, as_of=as_of, cities=cities
    )
    (city,) = outcome.cities
    return city


def is_short(status: str) -> bool:
    """Below its pro-rated target (attainment under 1, or not assessable): the city must say
    why (偏差原因) and what it will do (整改措施)."""
    return status != MET


# Who sees which ---------------------------------------------------------------------------------


def self_evaluations_for(user: User | AnonymousUser) -> QuerySet[SelfEvaluation]:
    """The self-evaluations ``user`` may see: the city's officials' own, the province's
    cities' for its provincial reviewers, all for the ministry's reviewers."""
    queryset = SelfEvaluation.objects.select_related(
        "participation__programme", "participation__city"
    )
    if not user.is_authenticated:
        return queryset.none()
    if is_reviewer(user):
        return queryset
    return queryset.filter(
        Q(participation__in=participations_for(user))
        | Q(participation__in=province_participations_for(user))
    )


def self_evaluation_get(*, pk: int, fetched_by: User | AnonymousUser) -> SelfEvaluation:
    found = self_evaluations_for(fetched_by).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


@dataclass(frozen=True)
class LineRow:
    """One indicator of a self-evaluation as a page or document shows it."""

    code: str
    name: str
    status: str
    status_label: str
    weight: Decimal
    full_target: str
    target: str
    actual: str
    attainment: str
    points: Decimal
    short: bool
    shortfall_reason: str
    measures: str


@dataclass(frozen=True)
class OpinionRow:
    step: str
    step_label: str
    text: str
    by: str
    at: dt.datetime


@dataclass(frozen=True)
class SelfEvaluationView:
    """A self-evaluation with its lines, the province's opinions, and what the person looking
    may do (flags from the workflow table)."""

    self_evaluation: SelfEvaluation
    city_name: str
    province_name: str
    status_label: str
    score: str
    grade_label: str
    amount: str
    lines: list[LineRow]
    opinions: list[OpinionRow]
    editable: bool
    province_may_act: bool
    ministry_may_act: bool
    awaits_province: bool


def _figure(value: Decimal | None, *, rate: bool, unit: str) -> str:
    if value is None:
        return "—"
    return show_percent(value) if rate else f"{show(value)} {unit}".rstrip()


def opinions_of(**subject: object) -> list[OpinionRow]:
    """The province's opinions and returns on a report or self-evaluation, oldest first."""
    return [
        OpinionRow(
            step=o.step,
            step_label=str(ProvincialOpinion.Step(o.step).label),
            text=o.text,
            by=o.by.get_full_name() or o.by.username,
            at=o.at,
        )
        for o in ProvincialOpinion.objects.filter(**subject).select_related("by")
    ]


def self_evaluation_lines(*, self_evaluation: SelfEvaluation) -> list[LineRow]:
    """Each indicator of a self-evaluation as a page or document shows it (the caller has
    checked who is looking)."""
    indicators = {i.pk: i for i in Indicator.objects.all()}
    lines = []
    for line in self_evaluation.lines.all():
        indicator = indicators[line.indicator_id]
        kind = rule_kind(line.kind)
        unit = vocabulary.indicator_unit(indicator)
        lines.append(
            LineRow(
                code=indicator.code,
                name=vocabulary.indicator_name(indicator),
                status=line.status,
                status_label=str(vocabulary.IndicatorStatus(line.status).label),
                weight=line.weight,
                full_target=_figure(line.full_target, rate=kind.target_measure.rate, unit=unit),
                target=_figure(line.target, rate=kind.target_measure.rate, unit=unit),
                actual=_figure(line.actual, rate=kind.actual_measure.rate, unit=unit),
                attainment=show_percent(line.attainment),
                points=line.points,
                short=line.short,
                shortfall_reason=line.shortfall_reason,
                measures=line.measures,
            )
        )
    return lines


def self_evaluation_review_steps(*, self_evaluation: SelfEvaluation) -> list[workflow.Step]:
    """The ministry's steps (accept, return) on the self-evaluation now, by the workflow table:
    in a programme with the provincial review, only once the province has forwarded it."""
    return LIFECYCLE.steps_from(
        self_evaluation.status,
        workflow.Actor.REVIEWER,
        provincial=self_evaluation.participation.programme.provincial_review,
    )


def awaits_province(*, self_evaluation: SelfEvaluation) -> bool:
    """Whether the city's province must act on it before the ministry does."""
    return self_evaluation.participation.programme.provincial_review and bool(
        LIFECYCLE.steps_from(self_evaluation.status, workflow.Actor.PROVINCE, provincial=True)
    )


def self_evaluation_view(
    *, self_evaluation: SelfEvaluation, fetched_by: User | AnonymousUser
) -> SelfEvaluationView:
    """What a page or the document shows of a self-evaluation ``fetched_by`` may see."""
    item = self_evaluation_get(pk=self_evaluation.pk, fetched_by=fetched_by)
    lines = self_evaluation_lines(self_evaluation=item)
    participation = item.participation
    provincial = participation.programme.provincial_review
    figures = item.figures
    own = participations_for(fetched_by).filter(pk=participation.pk).exists()
    in_province = province_participations_for(fetched_by).filter(pk=participation.pk).exists()
    return SelfEvaluationView(
        self_evaluation=item,
        city_name=vocabulary.indicator_name(participation.city),
        province_name=province_name(province_of(participation.city.code)),
        status_label=LIFECYCLE.label(item.status),
        score=figures.get("score", ""),
        grade_label=vocabulary.grade_word(figures.get("grade", "")),
        amount=money(Decimal(figures["amount"])) if figures.get("amount") else "",
        lines=lines,
        opinions=opinions_of(self_evaluation=item),
        editable=own
        and not is_reviewer(fetched_by)
        and LIFECYCLE.open_to(item.status, workflow.Actor.OFFICIAL),
        province_may_act=in_province
        and bool(LIFECYCLE.steps_from(item.status, workflow.Actor.PROVINCE, provincial=True)),
        ministry_may_act=is_reviewer(fetched_by)
        and bool(LIFECYCLE.steps_from(item.status, workflow.Actor.REVIEWER, provincial=provincial)),
        awaits_province=awaits_province(self_evaluation=item),
    )


@dataclass(frozen=True)
class DateRow:
    """An evaluation date of a city: its self-evaluation if one was begun."""

    as_of: dt.date
    self_evaluation: SelfEvaluation | None
    status_label: str


def city_self_evaluations(
    *, participation: Participation, fetched_by: User | AnonymousUser
) -> list[DateRow]:
    """Each evaluation date of the city with its self-evaluation (for its officials)."""
    if not participations_for(fetched_by).filter(pk=participation.pk).exists():
        raise NotFound()
    found = {s.as_of: s for s in SelfEvaluation.objects.filter(participation=participation)}
    return [
        DateRow(
            as_of=date,
            self_evaluation=found.get(date),
            status_label=LIFECYCLE.label(found[date].status) if date in found else "",
        )
        for date in evaluation_dates(programme=participation.programme)
    ]


# The province's work --------------------------------------------------------------------------


@dataclass(frozen=True)
class ProvinceWork:
    """What a provincial reviewer sees: its province, its cities, and what awaits it."""

    province: str
    province_name: str
    cities: list[Participation]
    self_evaluations: list[SelfEvaluation]
    reports: list[Report]


def province_work(*, fetched_by: User | AnonymousUser) -> ProvinceWork:
    """The province's cities and the self-evaluations and reports awaiting its review (a
    fixed number of queries). ``NotFound`` for anyone who is not a provincial reviewer."""
    province = reviewer_province(fetched_by)
    if province is None:
        raise NotFound()
    participations = province_participations_for(fetched_by)
    waiting_self = [
        code
        for code in LIFECYCLE.states
        if LIFECYCLE.steps_from(code, workflow.Actor.PROVINCE, provincial=True)
    ]
    waiting_reports = [
        code
        for code in workflow.REPORT.states
        if workflow.REPORT.steps_from(code, workflow.Actor.PROVINCE, provincial=True)
    ]
    return ProvinceWork(
        province=province,
        province_name=province_name(province),
        cities=list(participations.order_by("city__code", "programme__code")),
        self_evaluations=list(
            SelfEvaluation.objects.filter(
                participation__in=participations, status__in=waiting_self
            ).select_related("participation__city", "participation__programme")
        ),
        reports=list(
            Report.objects.filter(participation__in=participations, status__in=waiting_reports)
            .select_related("participation__city", "participation__programme")
            .order_by("participation__city__code", "year", "number")
        ),
    )


def province_report(*, pk: int, fetched_by: User | AnonymousUser) -> Report:
    """A report of the province's cities, for its provincial reviewer (else ``NotFound``):
    ``access.province_reports_for``, the one rule of which reports a province reviews."""
    return get_or_not_found(province_reports_for(fetched_by), pk=pk)  # type: ignore[no-any-return]


__all__ = [
    "DateRow",
    "LineRow",
    "OpinionRow",
    "ProvinceWork",
    "SelfEvaluationView",
    "awaits_province",
    "city_self_evaluations",
    "engine_figures",
    "evaluation_dates",
    "is_short",
    "opinions_of",
    "province_report",
    "province_work",
    "self_evaluation_get",
    "self_evaluation_lines",
    "self_evaluation_review_steps",
    "self_evaluation_view",
    "self_evaluations_for",
]
