"""Reads of the forecast (预测): where each city is heading at the next evaluation date, at its
current pace. A forecast is drawn from the approved values each time it is read, by the pure
core (``scoring.forecast``), and never stored as a result. A city's officials see their own
city's; reviewers see every city's, ordered by the risk of falling a tier. Each read takes a
fixed number of queries, whatever the number of cities."""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser, User

from evaluation import vocabulary
from evaluation.access import participations_for, require_reviewer
from evaluation.exceptions import NotFound
from evaluation.models import Indicator, MetricValue, Participation, Programme, Target
from evaluation.scoring import (
    CityInput,
    EvaluationError,
    Observation,
    Period,
    ProgrammeSpec,
    RulesetSpec,
    Text,
)
from evaluation.scoring.forecast import (
    CityForecast,
    GradeNeed,
    Tier,
    forecast_city,
    grade_need,
)
from evaluation.scoring.needs import next_evaluation_date
from evaluation.scoring.totals import last_ended_month
from evaluation.selectors import GRANULARITIES, programme_spec, ruleset_current, ruleset_spec


def forecast_date(*, programme: Programme, today: dt.date) -> dt.date:
    """The evaluation date a forecast looks to: the next one from ``today`` (the mid-term
    date until it has passed, then the end of the construction years)."""
    return next_evaluation_date(
        programme_spec(programme=programme), [programme.midterm_as_of], today
    )


def forecast_inputs(
    *, programme: Programme, by: dt.date, participation_ids: Sequence[int] | None = None
) -> tuple[list[CityInput], dict[str, Participation]]:
    """Each participating city's money, committed targets and approved values one by one (the
    forecast needs each month's value, not only the sums an evaluation reads), from the
    baseline year to the last month ended by ``by``. Four queries."""
    chosen = Participation.objects.filter(programme=programme)
    if participation_ids is not None:
        chosen = chosen.filter(pk__in=participation_ids)
    participations = {p.city.code: p for p in chosen.select_related("city", "programme")}
    targets: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
    for participation_id, indicator, value in Target.objects.filter(
        participation__in=[p.pk for p in participations.values()]
    ).values_list("participation_id", "indicator__code", "value"):
        targets[participation_id].append((indicator, value))
    codes = dict(Indicator.objects.values_list("id", "code"))
    city_codes = {p.city_id: code for code, p in participations.items()}
    end_year, _ = last_ended_month(by)
    observed: dict[str, list[Observation]] = defaultdict(list)
    for city_id, indicator_id, year, granularity, number, value in (
        MetricValue.objects.filter(
            city_id__in=list(city_codes),
            status=MetricValue.Status.APPROVED,
            year__gte=programme.baseline_year,
            year__lte=end_year,
        )
        .order_by()
        .values_list("city_id", "indicator_id", "year", "granularity", "number", "value")
    ):
        observed[city_codes[city_id]].append(
            Observation(codes[indicator_id], _period(year, granularity, number), value)
        )
    cities = [
        CityInput(
            city=code,
            remaining_amount=participation.remaining_amount,
            targets=tuple(sorted(targets[participation.pk])),
            observations=tuple(observed[code]),
        )
        for code, participation in sorted(participations.items())
    ]
    return cities, participations


@functools.cache
def _period(year: int, granularity: str, number: int) -> Period:
    """The same few periods for every city, made once."""
    return Period(year, GRANULARITIES[granularity], number)


@dataclass(frozen=True)
class IndicatorLine:
    """One indicator of a city's forecast as a page shows it. ``basis`` says how it was
    projected (the kind's words: the page says them with the ``say`` tag)."""

    code: str
    name: str
    unit: str
    unit_one: str
    places: int
    weight: Decimal
    so_far: Decimal
    figure: Decimal | None
    low_figure: Decimal | None
    high_figure: Decimal | None
    projected: bool
    points: Decimal
    low_points: Decimal
    high_points: Decimal
    status: str
    status_label: str
    basis: Text


@dataclass(frozen=True)
class TierLine:
    score: Decimal
    grade: str
    grade_label: str
    amount: Decimal


@dataclass(frozen=True)
class NeedOption:
    code: str
    name: str
    unit: str
    unit_one: str
    places: int
    extra: Decimal
    figure: Decimal


@dataclass(frozen=True)
class NeedLine:
    """What it takes to reach the next grade up."""

    grade: str
    grade_label: str
    shortfall: Decimal
    options: list[NeedOption]


@dataclass(frozen=True)
class CityForecastView:
    """A city's forecast, or why it cannot be made (``problem``)."""

    participation: Participation
    by: dt.date
    likely: TierLine | None
    low: TierLine | None
    high: TierLine | None
    risk: Decimal
    margin: Decimal
    may_fall: bool
    indicators: list[IndicatorLine]
    need: NeedLine | None
    problem: str = ""


def _tier(tier: Tier) -> TierLine:
    return TierLine(
        score=tier.score,
        grade=tier.grade,
        grade_label=vocabulary.grade_word(tier.grade),
        amount=tier.amount,
    )


def _lines(forecast: CityForecast, indicators: dict[str, Indicator]) -> list[IndicatorLine]:
    lines = []
    for item in forecast.indicators:
        indicator = indicators[item.indicator]
        projection = item.projection
        lines.append(
            IndicatorLine(
                code=item.indicator,
                name=vocabulary.indicator_name(indicator),
                unit=vocabulary.indicator_unit(indicator),
                unit_one=vocabulary.indicator_unit_one(indicator),
                places=indicator.decimal_places,
                weight=item.likely.weight,
                so_far=projection.so_far,
                figure=projection.figure,
                low_figure=projection.low_figure,
                high_figure=projection.high_figure,
                projected=projection.projected,
                points=item.likely.points,
                low_points=item.low_points,
                high_points=item.high_points,
                status=item.likely.status.value,
                status_label=str(vocabulary.IndicatorStatus(item.likely.status.value).label),
                basis=projection.basis,
            )
        )
    return lines


def _need(need: GradeNeed | None, indicators: dict[str, Indicator]) -> NeedLine | None:
    if need is None:
        return None
    return NeedLine(
        grade=need.grade,
        grade_label=vocabulary.grade_word(need.grade),
        shortfall=need.shortfall,
        options=[
            NeedOption(
                code=option.indicator,
                name=vocabulary.indicator_name(indicators[option.indicator]),
                unit=vocabulary.indicator_unit(indicators[option.indicator]),
                unit_one=vocabulary.indicator_unit_one(indicators[option.indicator]),
                places=indicators[option.indicator].decimal_places,
                extra=option.extra,
                figure=option.figure,
            )
            for option in need.options
        ],
    )


def _view(
    participation: Participation,
    by: dt.date,
    *,
    spec: ProgrammeSpec,
    ruleset: RulesetSpec,
    city: CityInput,
    indicators: dict[str, Indicator],
    with_need: bool,
) -> CityForecastView:
    try:
        forecast = forecast_city(programme=spec, ruleset=ruleset, by=by, city=city)
    except EvaluationError as exc:
        return CityForecastView(
            participation=participation,
            by=by,
            likely=None,
            low=None,
            high=None,
            risk=Decimal(0),
            margin=Decimal(0),
            may_fall=False,
            indicators=[],
            need=None,
            problem="; ".join(exc.messages),
        )
    need = (
        grade_need(
            forecast=forecast,
            programme=spec,
            ruleset=ruleset,
            city=city,
            places={code: i.decimal_places for code, i in indicators.items()},
        )
        if with_need
        else None
    )
    return CityForecastView(
        participation=participation,
        by=by,
        likely=_tier(forecast.tier),
        low=_tier(forecast.low),
        high=_tier(forecast.high),
        risk=forecast.risk,
        margin=forecast.margin,
        may_fall=forecast.may_fall,
        indicators=_lines(forecast, indicators),
        need=_need(need, indicators),
    )


def city_forecast(
    *, participation: Participation, fetched_by: User | AnonymousUser | None, today: dt.date
) -> CityForecastView:
    """The city's forecast at the next evaluation date, with what it takes to reach the next
    grade up; for the city's officials and reviewers, or the system (``fetched_by=None``: a
    command); anyone else gets ``NotFound``."""
    if (
        fetched_by is not None
        and not participations_for(fetched_by).filter(pk=participation.pk).exists()
    ):
        raise NotFound()
    programme = participation.programme
    by = forecast_date(programme=programme, today=today)
    ruleset = ruleset_spec(ruleset=ruleset_current(programme=programme))
    cities, found = forecast_inputs(
        programme=programme, by=by, participation_ids=[participation.pk]
    )
    indicators = {i.code: i for i in Indicator.objects.all()}
    (city,) = cities
    return _view(
        found[city.city],
        by,
        spec=programme_spec(programme=programme),
        ruleset=ruleset,
        city=city,
        indicators=indicators,
        with_need=True,
    )


@dataclass(frozen=True)
class ProgrammeForecast:
    programme: Programme
    by: dt.date
    ruleset: str
    cities: list[CityForecastView]

    @property
    def likely_total(self) -> Decimal:
        return sum((c.likely.amount for c in self.cities if c.likely is not None), Decimal(0))


ORDERS = ("risk", "score", "city")


def programme_forecast(
    *,
    programme: Programme,
    fetched_by: User | AnonymousUser | None,
    today: dt.date,
    order: str = "risk",
) -> ProgrammeForecast:
    """Every city's forecast at the programme's next evaluation date, for reviewers: by the
    risk of falling a tier (``order="risk"``, the most at risk first, then the smallest margin
    above the floor of the likely grade), by likely score (lowest first) or by city code; the
    cities that cannot be forecast last. Reviewers, or the system (``fetched_by=None``). A
    fixed number of queries, whatever the number of cities."""
    if fetched_by is not None:
        require_reviewer(fetched_by)
    by = forecast_date(programme=programme, today=today)
    current = ruleset_current(programme=programme)
    ruleset = ruleset_spec(ruleset=current)
    spec = programme_spec(programme=programme)
    cities, found = forecast_inputs(programme=programme, by=by)
    indicators = {i.code: i for i in Indicator.objects.all()}
    views = {
        city.city: _view(
            found[city.city],
            by,
            spec=spec,
            ruleset=ruleset,
            city=city,
            indicators=indicators,
            with_need=False,
        )
        for city in cities
    }
    made = [v for v in views.values() if v.likely is not None]
    failed = sorted(
        (v for v in views.values() if v.likely is None), key=lambda v: v.participation.city.code
    )
    if order == "score":
        made.sort(key=lambda v: (v.likely.score, v.participation.city.code))  # type: ignore[union-attr]
    elif order == "city":
        made.sort(key=lambda v: v.participation.city.code)
    else:
        made.sort(key=lambda v: (-v.risk, v.margin, v.participation.city.code))
    return ProgrammeForecast(
        programme=programme, by=by, ruleset=current.label, cities=[*made, *failed]
    )


__all__ = [
    "ORDERS",
    "CityForecastView",
    "ProgrammeForecast",
    "city_forecast",
    "forecast_date",
    "forecast_inputs",
    "programme_forecast",
]
