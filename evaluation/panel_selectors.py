"""Reads for the expert panel's pages. An expert reaches only the cities they are assigned to
(anything else is ``NotFound``): each city's tasks with the expert's own score and comment,
and what the city shows for them (its figures, its spending and the evidence; the city's
self-evaluation where there is one)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser, User

from evaluation.access import is_expert
from evaluation.exceptions import NotFound
from evaluation.models import (
    Expenditure,
    Indicator,
    PanelAssignment,
    Participation,
    TaskChoice,
    TaskScore,
)
from evaluation.selectors import evaluation_inputs
from evaluation.services.panel import Tasks, city_task_codes, programme_tasks, score_locked
from evaluation.vocabulary import indicator_name, indicator_unit
from evaluation.workflow import EXPENDITURE


@dataclass(frozen=True)
class PanelCity:
    """A city the expert is assigned to score, and how far they are."""

    participation: Participation
    tasks: int
    scored: int


def expert_cities(*, fetched_by: User | AnonymousUser) -> list[PanelCity]:
    """The cities ``fetched_by`` scores, by programme and city code (``NotFound`` for anyone
    who is not an expert). A fixed number of queries per programme, whatever the cities."""
    if not is_expert(fetched_by):
        raise NotFound()
    assignments = list(
        PanelAssignment.objects.filter(expert_id=fetched_by.pk)
        .select_related("participation__city", "participation__programme")
        .order_by("participation__programme__code", "participation__city__code")
    )
    ids = [a.participation_id for a in assignments]
    chosen: dict[int, set[str]] = defaultdict(set)
    for participation_id, code in TaskChoice.objects.filter(participation_id__in=ids).values_list(
        "participation_id", "task__code"
    ):
        chosen[participation_id].add(code)
    scored: dict[int, set[str]] = defaultdict(set)
    for participation_id, code in TaskScore.objects.filter(
        participation_id__in=ids, expert_id=fetched_by.pk
    ).values_list("participation_id", "task__code"):
        scored[participation_id].add(code)
    tasks: dict[int, Tasks] = {}
    out = []
    for assignment in assignments:
        participation = assignment.participation
        if participation.programme_id not in tasks:
            tasks[participation.programme_id] = programme_tasks(programme=participation.programme)
        known = tasks[participation.programme_id]
        codes = set(known.compulsory) | (set(known.optional) & chosen[participation.pk])
        out.append(PanelCity(participation, len(codes), len(codes & scored[participation.pk])))
    return out


@dataclass(frozen=True)
class TaskToScore:
    code: str
    name: str
    compulsory: bool
    weight: Decimal | None
    chosen_with: int
    score: Decimal | None
    comment: str
    locked: str | None


@dataclass(frozen=True)
class YearFigure:
    year: int
    total: Decimal


@dataclass(frozen=True)
class IndicatorFigures:
    name: str
    unit: str
    places: int
    years: list[YearFigure]


@dataclass(frozen=True)
class CityForExpert:
    """One city on the expert's page: its tasks (compulsory ones, then the optional ones it
    chose), what the city shows for them, and the expert's own scores."""

    participation: Participation
    tasks: list[TaskToScore]
    figures: list[IndicatorFigures]
    spent: Decimal
    planned: Decimal
    evidence: list[tuple[str, str]]
    self_evaluation: None = None


def expert_city(*, pk: int, fetched_by: User | AnonymousUser, today: dt.date) -> CityForExpert:
    """A city ``fetched_by`` is assigned to score; any other does not exist for them."""
    if not is_expert(fetched_by):
        raise NotFound()
    assignment = (
        PanelAssignment.objects.filter(participation_id=pk, expert_id=fetched_by.pk)
        .select_related("participation__city", "participation__programme")
        .first()
    )
    if assignment is None:
        raise NotFound()
    participation = assignment.participation
    known, codes = city_task_codes(participation)
    mine = {
        s.task.code: s
        for s in TaskScore.objects.filter(
            participation=participation, expert_id=fetched_by.pk
        ).select_related("task")
    }
    chosen = sum(1 for code in known.optional if code in codes)
    tasks = [
        TaskToScore(
            code=code,
            name=_name(task.indicator),
            compulsory=task.compulsory,
            weight=task.weight,
            chosen_with=0 if task.compulsory else chosen,
            score=mine[code].score if code in mine else None,
            comment=mine[code].comment if code in mine else "",
            locked=score_locked(mine.get(code), participation.programme),
        )
        for group in (known.compulsory, known.optional)
        for code, task in group.items()
        if code in codes
    ]
    cities, _ = evaluation_inputs(
        programme=participation.programme, as_of=today, participation_ids=[participation.pk]
    )
    per_indicator: dict[str, dict[int, Decimal]] = defaultdict(dict)
    for total in cities[0].totals:
        years = per_indicator[total.indicator]
        years[total.year] = years.get(total.year, Decimal(0)) + total.total
    catalogue = {i.code: i for i in Indicator.objects.filter(code__in=per_indicator, reported=True)}
    figures = [
        IndicatorFigures(
            name=_name(indicator),
            unit=_unit(indicator),
            places=indicator.decimal_places,
            years=[YearFigure(y, t) for y, t in sorted(per_indicator[code].items())],
        )
        for code, indicator in sorted(catalogue.items(), key=lambda kv: kv[1].position)
    ]
    spending = Expenditure.objects.filter(participation=participation)
    approved = [e for e in spending if EXPENDITURE.state(e.status).final]
    planned = sum((p.planned for p in participation.spending_plan.all()), Decimal(0))
    return CityForExpert(
        participation=participation,
        tasks=tasks,
        figures=figures,
        spent=sum((e.amount for e in approved), Decimal(0)),
        planned=planned,
        evidence=[(e.period.label, e.evidence) for e in approved if e.evidence],
    )


def _name(indicator: Indicator) -> str:
    return indicator_name(indicator)


def _unit(indicator: Indicator) -> str:
    return indicator_unit(indicator)
