"""Reads of rectification (整改): which shortfalls a finalised run leaves to rectify, who sees
which items (a city's officials their own city's, reviewers every city's), a city's items for
the portal and the programme's open items for the reviewers. Typed rows; the pages get flags
from the workflow table (``workflow.RECTIFICATION``), never a list of states."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from evaluation import vocabulary, workflow
from evaluation.access import is_reviewer, participations_for, require_reviewer
from evaluation.exceptions import NotFound
from evaluation.models import (
    EvaluationRun,
    IndicatorResult,
    Participation,
    Programme,
    RectificationItem,
)

LIFECYCLE = workflow.RECTIFICATION


@dataclass(frozen=True)
class Shortfall:
    """Something a city fell short on in a run: an indicator it did not meet (a task of the
    expert panel would be another subject of the same kind: its own row here)."""

    city_result_id: int
    participation_id: int
    indicator_result_id: int


def run_shortfalls(*, run: EvaluationRun) -> list[Shortfall]:
    """The shortfalls of the cities that ``run``'s ruleset sends to rectification: every city
    graded below the ruleset's threshold (``Ruleset.rectification_below``: below that grade's
    lowest score), and of each every indicator not met (partial, missed or not assessable).
    None when the ruleset sets no threshold."""
    ruleset = run.ruleset
    bands = dict(ruleset.bands.values_list("grade", "min_score"))
    floor = bands.get(ruleset.rectification_below)
    if floor is None:
        return []
    below = [grade for grade, min_score in bands.items() if min_score < floor]
    return [
        Shortfall(city_result_id, participation_id, indicator_result_id)
        for indicator_result_id, city_result_id, participation_id in IndicatorResult.objects.filter(
            city_result__run=run, city_result__grade__in=below
        )
        .exclude(status=vocabulary.IndicatorStatus.MET)
        .order_by("city_result__participation__city__code", "position")
        .values_list("pk", "city_result_id", "city_result__participation_id")
    ]


def rectification_items_for(user: User | AnonymousUser) -> QuerySet[RectificationItem]:
    """The one rule of who sees a rectification item: reviewers every city's, a city's
    officials their own city's, nobody else any."""
    items = RectificationItem.objects.select_related(
        "participation__city",
        "participation__programme",
        "indicator_result__indicator",
        "city_result__run",
    )
    if not user.is_authenticated:
        return items.none()
    if is_reviewer(user):
        return items
    return items.filter(participation__officials__user=user)


@dataclass(frozen=True)
class ItemRow:
    """A rectification item as a page shows it. ``awaits_city``: the city must answer (open,
    or returned); ``answerable``: the city's officials may answer it now; ``reviewable``: a
    reviewer may accept or return it now; ``overdue``: past its due date and still awaiting
    the city. All from the workflow table."""

    item: RectificationItem
    city_code: str
    city: str
    programme: str
    run_id: int
    indicator: str
    indicator_status: str
    points: Decimal
    weight: Decimal
    status: str
    status_label: str
    due_date: dt.date
    awaits_city: bool
    answerable: bool
    reviewable: bool
    overdue: bool


def _row(item: RectificationItem, today: dt.date) -> ItemRow:
    state = LIFECYCLE.state(item.status)
    result: IndicatorResult | None = item.indicator_result
    awaits_city = state.awaits == workflow.Actor.OFFICIAL
    return ItemRow(
        item=item,
        city_code=item.participation.city.code,
        city=vocabulary.indicator_name(item.participation.city),
        programme=item.participation.programme.code,
        run_id=item.city_result.run_id,
        indicator=vocabulary.indicator_name(result.indicator) if result else "—",
        indicator_status=result.get_status_display() if result else "",
        points=result.points if result else Decimal(0),
        weight=result.weight if result else Decimal(0),
        status=item.status,
        status_label=LIFECYCLE.label(item.status),
        due_date=item.due_date,
        awaits_city=awaits_city,
        answerable=LIFECYCLE.open_to(item.status, workflow.Actor.OFFICIAL),
        reviewable=bool(LIFECYCLE.steps_from(item.status, workflow.Actor.REVIEWER)),
        overdue=awaits_city and today > item.due_date,
    )


def city_rectification(
    *, participation: Participation, fetched_by: User | AnonymousUser, today: dt.date
) -> list[ItemRow]:
    """The city's items, those awaiting its answer first (the earliest due first), then the
    rest; for its officials and reviewers (anyone else: ``NotFound``). Two queries."""
    if not participations_for(fetched_by).filter(pk=participation.pk).exists():
        raise NotFound()
    items = list(
        rectification_items_for(fetched_by)
        .filter(participation=participation)
        .order_by("due_date", "indicator_result__position", "id")
    )
    rows = [_row(item, today) for item in items]
    rows.sort(key=lambda r: (not r.awaits_city, r.due_date))
    return rows


def rectification_item(*, pk: int, fetched_by: User | AnonymousUser, today: dt.date) -> ItemRow:
    """One item, for its city's officials and reviewers (anyone else: ``NotFound``)."""
    item = rectification_items_for(fetched_by).filter(pk=pk).first()
    if item is None:
        raise NotFound()
    return _row(item, today)


@dataclass(frozen=True)
class CityCount:
    """One city's items in the programme view: how many in each state, how many overdue."""

    code: str
    city: str
    by_status: dict[str, int]
    overdue: int
    open_items: int


@dataclass(frozen=True)
class ProgrammeRectification:
    programme: Programme
    rows: list[ItemRow]
    cities: list[CityCount]
    by_status: list[tuple[str, str, int]]
    overdue: int


def programme_rectification(
    *,
    programme: Programme,
    fetched_by: User | AnonymousUser,
    today: dt.date,
    status: str = "",
) -> ProgrammeRectification:
    """The programme's rectification for reviewers: every item still open (awaiting the city or
    a reviewer; ``status`` one state, or ``all``), the overdue first, then by due date and
    city; and for each city and state how many items. Two queries, whatever the number of
    cities."""
    require_reviewer(fetched_by)
    items = list(
        rectification_items_for(fetched_by)
        .filter(participation__programme=programme)
        .order_by("due_date", "participation__city__code", "indicator_result__position", "id")
    )
    every = [_row(item, today) for item in items]
    if status == "all":
        rows = every
    elif status in LIFECYCLE.states:
        rows = [r for r in every if r.status == status]
    else:
        rows = [r for r in every if not LIFECYCLE.state(r.status).final]
    rows.sort(key=lambda r: (not r.overdue, r.due_date, r.city_code))
    per_city: dict[str, list[ItemRow]] = {}
    for row in every:
        per_city.setdefault(row.city_code, []).append(row)
    cities = [
        CityCount(
            code=code,
            city=found[0].city,
            by_status=dict(Counter(r.status for r in found)),
            overdue=sum(r.overdue for r in found),
            open_items=sum(not LIFECYCLE.state(r.status).final for r in found),
        )
        for code, found in sorted(per_city.items())
    ]
    counts = Counter(r.status for r in every)
    return ProgrammeRectification(
        programme=programme,
        rows=rows,
        cities=cities,
        by_status=[
            (code, LIFECYCLE.label(code), counts.get(code, 0))
            for code, _label in LIFECYCLE.choices()
        ],
        overdue=sum(r.overdue for r in every),
    )


@dataclass(frozen=True)
class ItemChange:
    """One change in an item's history: who, when, the state it went to, why."""

    when: dt.datetime
    who: str
    status: str
    status_label: str
    reason: str
    measures: str
    comment: str


def item_history(*, item: RectificationItem) -> list[ItemChange]:
    """The item's history, oldest first (the caller has already seen the item)."""
    return [
        ItemChange(
            when=record.history_date,
            who=record.history_user.get_username() if record.history_user else "—",
            status=record.status,
            status_label=LIFECYCLE.label(record.status),
            reason=record.history_change_reason or "",
            measures=record.measures,
            comment=record.review_comment,
        )
        for record in item.history.select_related("history_user").order_by(
            "history_date", "history_id"
        )
    ]
