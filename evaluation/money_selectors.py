"""Reads of a city's money (its tranches, planned spending and expenditure) and of the dual
monitoring, each filtered by who asks: a city's officials reach their own cities, reviewers
every city, anyone else nothing (``NotFound``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.utils import timezone

from evaluation.access import get_or_not_found, participations_for, require_reviewer
from evaluation.exceptions import NoRuleset
from evaluation.models import (
    Expenditure,
    Participation,
    PaymentSuspension,
    Programme,
    SpendingPlan,
    TrancheDecision,
)
from evaluation.scoring import CityInput, RulesetSpec, rule_kind
from evaluation.scoring.budget import BUDGET_INDICATOR, planned_spending
from evaluation.scoring.decimals import round_fraction
from evaluation.scoring.engine import years_elapsed
from evaluation.scoring.monitoring import CitySoFar, monitor_city
from evaluation.scoring.needs import next_evaluation_date
from evaluation.scoring.rules import Context, Progress
from evaluation.selectors import (
    evaluation_inputs,
    programme_spec,
    ruleset_current,
    ruleset_spec,
)
from evaluation.workflow import EXPENDITURE, SIGNED, Actor


@dataclass(frozen=True)
class Watch:
    """What the monitoring holds a programme's cities to: its current ruleset's indicators and
    deviation thresholds (a programme without a ruleset: none, and the thresholds a ruleset is
    given by default)."""

    label: str
    rules: RulesetSpec
    attainment_threshold: Decimal
    execution_threshold: Decimal


DEFAULT_THRESHOLD = Decimal("0.50")


def programme_watch(*, programme: Programme) -> Watch:
    try:
        ruleset = ruleset_current(programme=programme)
    except NoRuleset:
        return Watch("—", RulesetSpec("—", (), ()), DEFAULT_THRESHOLD, DEFAULT_THRESHOLD)
    return Watch(
        ruleset.label,
        ruleset_spec(ruleset=ruleset),
        ruleset.deviation_attainment,
        ruleset.deviation_execution,
    )


def expenditure_for(user: User | AnonymousUser) -> QuerySet[Expenditure]:
    """The expenditure ``user`` may see: every city's for reviewers, their own cities' for
    officials, none for anyone else."""
    return Expenditure.objects.filter(
        participation__in=participations_for(user).values("pk")
    ).select_related("participation__city", "participation__programme")


@dataclass(frozen=True)
class Tranche:
    """Money the city has received: the first tranche, or a later release signed off (the
    run it was decided by)."""

    run: int | None
    amount: Decimal
    decided_at: dt.datetime | None


def tranches_received(*, participation: Participation) -> list[Tranche]:
    """The first tranche, then every release signed off for the city (confirmed or
    overridden above zero), in the order they were decided (one query)."""
    later = [
        Tranche(run, amount or Decimal(0), decided_at)
        for run, amount, decided_at in TrancheDecision.objects.filter(
            city_result__participation=participation,
            status__in=SIGNED,
            final_amount__gt=0,
        )
        .order_by("decided_at", "pk")
        .values_list("city_result__run_id", "final_amount", "decided_at")
    ]
    return [Tranche(None, participation.first_tranche, None), *later]


@dataclass(frozen=True)
class ExpenditureRow:
    """An expenditure record as the city's page shows it, with what the workflow table lets
    the city's officials do with it (``fillable``: change it; ``submittable``: send it)."""

    expenditure: Expenditure
    label: str
    fillable: bool
    submittable: bool

    @property
    def period(self) -> str:
        return self.expenditure.period.label


def expenditure_row(expenditure: Expenditure) -> ExpenditureRow:
    status = expenditure.status
    return ExpenditureRow(
        expenditure=expenditure,
        label=EXPENDITURE.label(status),
        fillable=EXPENDITURE.open_to(status, Actor.OFFICIAL),
        submittable=any(
            step.code == "submit" for step in EXPENDITURE.steps_from(status, Actor.OFFICIAL)
        ),
    )


@dataclass(frozen=True)
class MoneyStanding:
    """Where a city's money stands at ``today``: what it received, planned and spent, its
    execution rate so far against its plan so far, and what it must still spend (approved)
    by the next evaluation date ``by`` to reach the plan counted then."""

    participation: Participation
    today: dt.date
    tranches: list[Tranche]
    plan: list[SpendingPlan]
    expenditure: list[ExpenditureRow]
    so_far: CitySoFar
    by: dt.date
    planned_by: Decimal
    needed_by: Decimal | None
    progress: Progress
    suspended: PaymentSuspension | None

    @property
    def received(self) -> Decimal:
        return sum((t.amount for t in self.tranches), Decimal(0))

    @property
    def planned_total(self) -> Decimal:
        return sum((p.planned for p in self.plan), Decimal(0))


def participation_for(*, pk: int, fetched_by: User | AnonymousUser) -> Participation:
    """The participation, if ``fetched_by`` may see it (``NotFound`` otherwise)."""
    found: Participation = get_or_not_found(participations_for(fetched_by), pk=pk)
    return found


def money_standing(
    *, participation: Participation, fetched_by: User | AnonymousUser, today: dt.date
) -> MoneyStanding:
    participation = participation_for(pk=participation.pk, fetched_by=fetched_by)
    programme = participation.programme
    spec = programme_spec(programme=programme)
    watch = programme_watch(programme=programme)
    city = _money_input(participation, today)
    so_far = monitor_city(
        city,
        ruleset=watch.rules,
        programme=spec,
        as_of=today,
        attainment_threshold=watch.attainment_threshold,
        execution_threshold=watch.execution_threshold,
    )
    by = next_evaluation_date(spec, [programme.midterm_as_of], today)
    n = years_elapsed(spec, by)
    planned = planned_spending(city, spec, n) if n else None
    planned_by = round_fraction(planned.amount, 2) if planned else Decimal(0)
    kind = rule_kind(_budget_kind())
    need = kind.still_needed(
        context=Context(programme=spec, as_of=by, years_elapsed=n),
        indicator=BUDGET_INDICATOR,
        target=planned_by,
        totals=city.expenditure,
        places=2,
    )
    return MoneyStanding(
        participation=participation,
        today=today,
        tranches=tranches_received(participation=participation),
        plan=list(SpendingPlan.objects.filter(participation=participation).order_by("year")),
        expenditure=[
            expenditure_row(e)
            for e in Expenditure.objects.filter(participation=participation).order_by(
                "year", "granularity", "number"
            )
        ],
        so_far=so_far,
        by=by,
        planned_by=planned_by,
        needed_by=need.needed,
        progress=kind.progress(target=planned_by, need=need),
        suspended=suspension_standing(participation=participation),
    )


def _budget_kind() -> str:
    """The kind that scores the money spent (found by the indicator it scores)."""
    from evaluation.scoring import RULE_KINDS

    return next(k.name for k in RULE_KINDS.values() if k.own_indicator == BUDGET_INDICATOR)


def _money_input(participation: Participation, today: dt.date) -> CityInput:
    """The city's values, plan, first tranche and approved expenditure up to ``today``, as an
    evaluation reads them (the money read whether or not the current ruleset scores it)."""
    from evaluation.part_selectors import expenditure_totals, planned_per_year

    programme = participation.programme
    cities, _ = evaluation_inputs(
        programme=programme, as_of=today, participation_ids=[participation.pk]
    )
    return CityInput(
        city=cities[0].city,
        remaining_amount=cities[0].remaining_amount,
        targets=cities[0].targets,
        totals=cities[0].totals,
        first_tranche=participation.first_tranche,
        plan=tuple(
            planned_per_year(participation_ids=[participation.pk], programme=programme).get(
                participation.pk, ()
            )
        ),
        expenditure=tuple(
            expenditure_totals(
                participation_ids=[participation.pk], programme=programme, as_of=today
            ).get(participation.pk, ())
        ),
    )


def suspension_standing(*, participation: Participation) -> PaymentSuspension | None:
    return (
        PaymentSuspension.objects.filter(participation=participation, lifted_at__isnull=True)
        .select_related("suspended_by")
        .first()
    )


# The dual monitoring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonitoredCity:
    participation: Participation
    so_far: CitySoFar
    suspension: PaymentSuspension | None


@dataclass(frozen=True)
class Monitoring:
    """Every city of a programme at ``as_of``, with the thresholds of the ruleset that flags
    them."""

    programme: Programme
    as_of: dt.date
    ruleset: str
    attainment_threshold: Decimal
    execution_threshold: Decimal
    cities: list[MonitoredCity]


def programme_monitoring(
    *, programme: Programme, as_of: dt.date | None, fetched_by: User | AnonymousUser
) -> Monitoring:
    """The reviewers' view of the dual monitoring at ``as_of`` (today by default): each city's
    attainment so far against its paths, its spending so far against its plan, their flags,
    and any suspension standing. Reviewers only (``Forbidden``); a fixed number of queries."""
    require_reviewer(fetched_by)
    as_of = as_of or timezone.localdate()
    spec = programme_spec(programme=programme)
    watch = programme_watch(programme=programme)
    cities, participations = evaluation_inputs(programme=programme, as_of=as_of)
    from evaluation.part_selectors import expenditure_totals, planned_per_year

    ids = [p.pk for p in participations.values()]
    plans = planned_per_year(participation_ids=ids, programme=programme)
    spent = expenditure_totals(participation_ids=ids, programme=programme, as_of=as_of)
    suspended = {
        s.participation_id: s
        for s in PaymentSuspension.objects.filter(
            participation__programme=programme, lifted_at__isnull=True
        ).select_related("suspended_by")
    }
    rows = []
    for city in cities:
        participation = participations[city.city]
        full = CityInput(
            city=city.city,
            remaining_amount=city.remaining_amount,
            targets=city.targets,
            totals=city.totals,
            first_tranche=participation.first_tranche,
            plan=tuple(plans.get(participation.pk, ())),
            expenditure=tuple(spent.get(participation.pk, ())),
        )
        rows.append(
            MonitoredCity(
                participation=participation,
                so_far=monitor_city(
                    full,
                    ruleset=watch.rules,
                    programme=spec,
                    as_of=as_of,
                    attainment_threshold=watch.attainment_threshold,
                    execution_threshold=watch.execution_threshold,
                ),
                suspension=suspended.get(participation.pk),
            )
        )
    return Monitoring(
        programme=programme,
        as_of=as_of,
        ruleset=watch.label,
        attainment_threshold=watch.attainment_threshold,
        execution_threshold=watch.execution_threshold,
        cities=rows,
    )


def city_monitoring(
    *, participation: Participation, fetched_by: User | AnonymousUser, as_of: dt.date
) -> MonitoredCity:
    """The same for one city, for its officials (or a reviewer)."""
    participation = participation_for(pk=participation.pk, fetched_by=fetched_by)
    watch = programme_watch(programme=participation.programme)
    return MonitoredCity(
        participation=participation,
        so_far=monitor_city(
            _money_input(participation, as_of),
            ruleset=watch.rules,
            programme=programme_spec(programme=participation.programme),
            as_of=as_of,
            attainment_threshold=watch.attainment_threshold,
            execution_threshold=watch.execution_threshold,
        ),
        suspension=suspension_standing(participation=participation),
    )
