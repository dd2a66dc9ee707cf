"""Reads for the optional parts of a ruleset (programme-rules.md, "Beyond the output
indicators"): its tasks, and what an evaluation reads for them (each city's first tranche,
planned spending and approved expenditure; its chosen optional tasks and the experts' scores).

An evaluation reads these only for a ruleset that has the parts, so a ruleset without them
reads exactly what it always read (and its runs keep their digests)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.db.models import Sum

from evaluation.models import (
    Expenditure,
    MetricValue,
    Participation,
    Programme,
    Ruleset,
    SpendingPlan,
    SpotCheckItem,
    TaskChoice,
    TaskScore,
)
from evaluation.scoring import CityInput, PanelScore, Period, PeriodTotal, RulesetSpec, Task
from evaluation.scoring.budget import BUDGET_INDICATOR
from evaluation.scoring.engine import reads_money, reads_tasks
from evaluation.scoring.types import VerifiedValue


def ruleset_tasks(*, ruleset: Ruleset) -> tuple[Task, ...]:
    """The ruleset's tasks as the scoring core takes them: compulsory ones first, each group
    in the ruleset's order (one query)."""
    return tuple(
        Task(code=task.indicator.code, compulsory=task.compulsory, weight=task.weight or Decimal(0))
        for task in ruleset.tasks.select_related("indicator").order_by(
            "-compulsory", "position", "indicator__code"
        )
    )


def expenditure_totals(
    *, participation_ids: Sequence[int], programme: Programme, as_of: dt.date
) -> dict[int, list[PeriodTotal]]:
    """Each participation's approved expenditure after the baseline year in periods that ended
    by ``as_of``, summed per year and granularity by the database, with the periods present
    (one query), as the values are."""
    from evaluation.selectors import (
        GRANULARITIES,
        PERIODS_PRESENT,
        periods_ended_by,
        periods_present,
    )

    rows = (
        periods_ended_by(
            Expenditure.objects.filter(
                participation_id__in=list(participation_ids),
                status=Expenditure.Status.APPROVED,
                year__gt=programme.baseline_year,
            ),
            as_of,
        )
        .order_by()
        .values("participation_id", "year", "granularity")
        .annotate(total=Sum("amount"), mask=PERIODS_PRESENT)
        .values_list("participation_id", "year", "granularity", "total", "mask")
    )
    out: dict[int, list[PeriodTotal]] = defaultdict(list)
    for participation_id, year, granularity, total, mask in rows:
        out[participation_id].append(
            PeriodTotal(
                indicator=BUDGET_INDICATOR,
                year=year,
                granularity=GRANULARITIES[granularity],
                total=total,
                numbers=periods_present(mask),
            )
        )
    return out


def planned_per_year(
    *, participation_ids: Sequence[int], programme: Programme
) -> dict[int, list[tuple[int, Decimal]]]:
    """Each participation's planned spending per construction year (one query)."""
    first = programme.baseline_year + 1
    last = programme.baseline_year + programme.construction_years
    out: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for participation_id, year, planned in (
        SpendingPlan.objects.filter(
            participation_id__in=list(participation_ids), year__gte=first, year__lte=last
        )
        .order_by("year")
        .values_list("participation_id", "year", "planned")
    ):
        out[participation_id].append((year, planned))
    return out


def verified_values(
    *, city_codes: Sequence[str], programme: Programme, checked_by: dt.datetime | None = None
) -> dict[str, list[VerifiedValue]]:
    """Each city's verified values: the latest spot check of each of its approved values from
    the baseline year on (checked at or before ``checked_by``, when given: what a run read when
    it started), with the value it checked (one query). A check of a value that is not
    approved is not read."""
    items = SpotCheckItem.objects.filter(
        metric_value__city__code__in=list(city_codes),
        metric_value__status=MetricValue.Status.APPROVED,
        metric_value__year__gte=programme.baseline_year,
        checked_at__isnull=False,
    )
    if checked_by is not None:
        items = items.filter(checked_at__lte=checked_by)
    from evaluation.selectors import GRANULARITIES

    latest: dict[int, tuple[str, VerifiedValue]] = {}
    for value_id, city, indicator, year, granularity, number, claimed, verified in items.order_by(
        "checked_at", "pk"
    ).values_list(
        "metric_value_id",
        "metric_value__city__code",
        "metric_value__indicator__code",
        "metric_value__year",
        "metric_value__granularity",
        "metric_value__number",
        "metric_value__value",
        "verified_value",
    ):
        period = Period(year, GRANULARITIES[granularity], number)
        assert verified is not None  # checked_at is set: a verified value has its time
        latest[value_id] = (city, VerifiedValue(indicator, period, claimed, verified))
    out: dict[str, list[VerifiedValue]] = defaultdict(list)
    for city, value in latest.values():
        out[city].append(value)
    return out


def with_parts(
    cities: Sequence[CityInput],
    *,
    participations: Mapping[str, Participation],
    programme: Programme,
    as_of: dt.date,
    ruleset: RulesetSpec,
    checked_by: dt.datetime | None = None,
) -> list[CityInput]:
    """``cities`` with what ``ruleset``'s optional parts read: for a rule of the money spent,
    each city's first tranche, plan for the construction years and approved expenditure; for
    tasks, the optional tasks of the ruleset it chose and the experts' scores of its tasks;
    for the verified-values part, the latest spot check of each approved value (checked by
    ``checked_by``). At most five queries, whatever the number of cities."""
    ids = [p.pk for p in participations.values()]
    money, tasks = reads_money(ruleset), reads_tasks(ruleset)
    checks = ruleset.spot_checks is not None
    if not (money or tasks or checks):
        return list(cities)
    verified = (
        verified_values(city_codes=list(participations), programme=programme, checked_by=checked_by)
        if checks
        else {}
    )
    plans = planned_per_year(participation_ids=ids, programme=programme) if money else {}
    spent = (
        expenditure_totals(participation_ids=ids, programme=programme, as_of=as_of) if money else {}
    )
    chosen: dict[int, list[str]] = defaultdict(list)
    scores: dict[int, list[PanelScore]] = defaultdict(list)
    if tasks:
        optional = {t.code for t in ruleset.tasks if not t.compulsory}
        compulsory = {t.code for t in ruleset.tasks if t.compulsory}
        for participation_id, code in TaskChoice.objects.filter(
            participation_id__in=ids, task__code__in=optional
        ).values_list("participation_id", "task__code"):
            chosen[participation_id].append(code)
        for participation_id, code, expert, score in TaskScore.objects.filter(
            participation_id__in=ids, task__code__in=optional | compulsory
        ).values_list("participation_id", "task__code", "expert__username", "score"):
            # A score of an optional task the city did not choose is not read.
            if code in compulsory or code in chosen[participation_id]:
                scores[participation_id].append(PanelScore(code, expert, score))
    out = []
    for city in cities:
        participation = participations[city.city]
        pk = participation.pk
        parts: dict[str, object] = {}
        if money:
            parts |= {
                "first_tranche": participation.first_tranche,
                "plan": tuple(plans.get(pk, ())),
                "expenditure": tuple(spent.get(pk, ())),
            }
        if tasks:
            parts |= {
                "optional_tasks": tuple(sorted(chosen.get(pk, ()))),
                "panel_scores": tuple(sorted(scores.get(pk, ()), key=lambda s: (s.task, s.expert))),
            }
        if checks:
            parts["verified"] = tuple(
                sorted(verified.get(city.city, ()), key=lambda v: (v.indicator, v.period))
            )
        out.append(dataclasses.replace(city, **parts))  # type: ignore[arg-type]
    return out
