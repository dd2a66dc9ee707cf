"""Reads. Each returns what the caller may see; nothing here writes."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from functools import cache

from django.db.models import Case, F, IntegerField, Prefetch, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from evaluation.exceptions import NoRuleset
from evaluation.models import (
    CityResult,
    EvaluationRun,
    Indicator,
    IndicatorResult,
    MetricValue,
    Participation,
    Programme,
    Report,
    Ruleset,
    Target,
)
from evaluation.scoring import (
    CityInput,
    GradeBand,
    Granularity,
    IndicatorRule,
    Period,
    PeriodTotal,
    ProgrammeSpec,
    RulesetSpec,
    last_ended_month,
)
from evaluation.scoring.periods import year_parts


def programme_get(*, code: str) -> Programme:
    return Programme.objects.get(code=code)


def ruleset_current(*, programme: Programme) -> Ruleset:
    """The programme's current ruleset: its highest version."""
    ruleset = (
        Ruleset.objects.filter(programme=programme)
        .select_related("programme")
        .order_by("-version")
        .first()
    )
    if ruleset is None:
        raise NoRuleset(programme)
    return ruleset


def ruleset_spec(*, ruleset: Ruleset) -> RulesetSpec:
    """The ruleset as the scoring core takes it (two queries)."""
    return RulesetSpec(
        label=ruleset.label,
        indicators=tuple(
            IndicatorRule(
                indicator=rule.indicator.code, kind=rule.kind, floor=rule.floor, weight=rule.weight
            )
            for rule in ruleset.rules.select_related("indicator").order_by("indicator__position")
        ),
        bands=tuple(
            GradeBand(grade=band.grade, min_score=band.min_score, release_share=band.release_share)
            for band in ruleset.bands.all()
        ),
    )


def programme_spec(*, programme: Programme) -> ProgrammeSpec:
    return ProgrammeSpec(
        code=programme.code,
        baseline_year=programme.baseline_year,
        construction_years=programme.construction_years,
    )


def evaluation_inputs(
    *, programme: Programme, as_of: dt.date, participation_ids: Sequence[int] | None = None
) -> tuple[list[CityInput], dict[str, Participation]]:
    """Every participating city's money, committed targets and approved totals that an
    evaluation at ``as_of`` reads,

    The database sums the approved values per city, indicator, year and granularity (from the
    baseline year, periods that ended by ``as_of``), with a bitmask of the periods present, so
    the evaluation reads a few rows per city instead of every monthly value. Four queries,
    whatever the number of cities."""
    chosen = Participation.objects.filter(programme=programme)
    if participation_ids is not None:
        chosen = chosen.filter(pk__in=participation_ids)
    participations = {p.city.code: p for p in chosen.select_related("city")}
    targets: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
    for participation_id, indicator, value in Target.objects.filter(
        participation__in=chosen
    ).values_list("participation_id", "indicator__code", "value"):
        targets[participation_id].append((indicator, value))

    end_year, end_month = last_ended_month(as_of)
    last_month = Case(
        When(granularity=Granularity.YEAR, then=Value(12)),
        When(granularity=Granularity.QUARTER, then=F("number") * 3),
        default=F("number"),
        output_field=IntegerField(),
    )
    # Grouped on ids, not codes, and with no join: the codes are mapped back here.
    city_codes = {p.city_id: code for code, p in participations.items()}
    indicator_codes = dict(Indicator.objects.values_list("id", "code"))
    values = MetricValue.objects.filter(
        city_id__in=chosen.values("city_id"),
        status=MetricValue.Status.APPROVED,
        year__gte=programme.baseline_year,
        year__lte=end_year,
    )
    if end_month < 12:
        # Part of the last year has not ended: leave out its periods that end later.
        values = values.annotate(last_month=last_month).filter(
            Q(year__lt=end_year) | Q(last_month__lte=end_month)
        )
    rows = (
        values.order_by()
        .values("city_id", "indicator_id", "year", "granularity")
        # Each period number appears once per group (a unique constraint), so the sum of
        # 1 << number is the set of periods present.
        .annotate(total=Sum("value"), mask=Sum(Value(1).bitleftshift(F("number"))))  # type: ignore[arg-type]
        .values_list("city_id", "indicator_id", "year", "granularity", "total", "mask")
    )
    totals: dict[str, list[PeriodTotal]] = defaultdict(list)
    for city_id, indicator_id, year, granularity, total, mask in rows:
        totals[city_codes[city_id]].append(
            PeriodTotal(
                indicator=indicator_codes[indicator_id],
                year=year,
                granularity=GRANULARITIES[granularity],
                total=total,
                numbers=_periods_present(mask),
            )
        )
    cities = [
        CityInput(
            city=code,
            remaining_amount=participation.remaining_amount,
            targets=tuple(sorted(targets[participation.pk])),
            totals=tuple(totals[code]),
        )
        for code, participation in sorted(participations.items())
    ]
    return cities, participations


GRANULARITIES = {str(g): g for g in Granularity}


@cache
def _periods_present(mask: int) -> frozenset[int]:
    return frozenset(n for n in range(13) if mask >> n & 1)


def run_results(*, run: EvaluationRun) -> QuerySet[CityResult]:
    """A run's city results with their indicators and decision, for display (three queries)."""
    return (
        CityResult.objects.filter(run=run)
        .select_related("participation__city", "decision")
        .prefetch_related(
            Prefetch(
                "indicator_results",
                queryset=IndicatorResult.objects.select_related("indicator").order_by("position"),
            )
        )
        .order_by("participation__city__code")
    )


def run_previous_identical(
    *, run: EvaluationRun, exclude: Sequence[int] = ()
) -> EvaluationRun | None:
    """The latest earlier successful run of the same programme, date and ruleset that read the
    same inputs."""
    return (
        EvaluationRun.objects.filter(
            programme_id=run.programme_id,
            as_of=run.as_of,
            ruleset_id=run.ruleset_id,
            input_digest=run.input_digest,
            status=EvaluationRun.Status.SUCCEEDED,
        )
        .exclude(pk=run.pk)
        .exclude(pk__in=exclude)
        .order_by("-created_at", "-id")
        .first()
    )


def due_date(participation: Participation, period: Period) -> dt.date:
    """The programme's due day of the month after the period ends (default the 15th)."""
    year, month = period.year, period.last_month + 1
    if month == 13:
        year, month = year + 1, 1
    day = min(participation.programme.report_due_day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)


def participation_periods(
    *, participation: Participation, today: dt.date
) -> list[dict[str, object]]:
    """Every period the city owes a report for, up to ``today``: the baseline year as one
    annual report and the construction years by month (or by whatever granularity the city
    chose for a year), each with its report's status, its due date, and whether it is late or
    missing (due and still not submitted)."""
    programme = participation.programme
    reports = {r.period: r for r in Report.objects.filter(participation=participation).order_by()}
    chosen = {period.year: period.granularity for period in reports}
    periods: list[Period] = []
    last_year = programme.baseline_year + programme.construction_years
    for year in range(programme.baseline_year, min(last_year, today.year) + 1):
        default = Granularity.YEAR if year == programme.baseline_year else Granularity.MONTH
        periods += [p for p in year_parts(year, chosen.get(year, default)) if p.start <= today]
    out: list[dict[str, object]] = []
    for period in periods:
        report = reports.get(period)
        due = due_date(participation, period)
        submitted = report is not None and report.submitted_at is not None
        late = (
            timezone.localdate(report.submitted_at) > due
            if report is not None and report.submitted_at is not None
            else today > due
        )
        out.append(
            {
                "period": period.label,
                "due_date": due,
                "report": report.pk if report else None,
                "status": report.status if report else "missing",
                "late": late,
                "missing": not submitted and today > due,
            }
        )
    return out
