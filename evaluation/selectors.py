"""Reads. Each returns what the caller may see; nothing here writes (a run's parts only send,
between parts, the writes their caller hands them: ``evaluation_inputs_in_parts``)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Model,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext
from knox.models import AuthToken

from evaluation import inputs, workflow
from evaluation.access import (
    ADMINISTRATORS,
    CHECKERS,
    EXPERTS,
    PROVINCIAL_REVIEWERS,
    REVIEWERS,
    participations_for,
    require_reviewer,
)
from evaluation.exceptions import NoRuleset, NotFound
from evaluation.models import (
    CityResult,
    EvaluationRun,
    Evidence,
    Indicator,
    IndicatorResult,
    MetricValue,
    Participation,
    Programme,
    Report,
    ReportComment,
    RoleChange,
    Ruleset,
    Target,
    TrancheDecision,
    ValueReturn,
)
from evaluation.models import IndicatorRule as RuleRow
from evaluation.reasons import reason_code
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
from evaluation.scoring.types import SpotCheckPart


def programme_get(*, code: str) -> Programme:
    return Programme.objects.get(code=code)


def _published(programme: Programme) -> QuerySet[Ruleset]:
    """The programme's published rulesets, the current one (the highest version) first."""
    return Ruleset.objects.filter(programme=programme, is_draft=False).order_by("-version")


def ruleset_current(*, programme: Programme) -> Ruleset:
    """The programme's current ruleset: its highest published version (never a draft)."""
    ruleset = _published(programme).select_related("programme").first()
    if ruleset is None:
        raise NoRuleset(programme)
    return ruleset


def current_rules(*, programme: Programme) -> QuerySet[RuleRow]:
    """The rules of the indicators cities report (``reported()``) of the programme's current
    ruleset (:func:`ruleset_current`'s, chosen inside the same query), in the catalogue's order;
    none when the programme has no published ruleset."""
    return (
        RuleRow.objects.reported()
        .filter(ruleset=Subquery(_published(programme).values("pk")[:1]))
        .order_by("indicator__position")
    )


def current_rules_list(*, programme: Programme) -> list[RuleRow]:
    """:func:`current_rules` with their indicators, in one query (``NoRuleset`` when the
    programme has no published ruleset)."""
    rules = list(current_rules(programme=programme).select_related("indicator"))
    if not rules:
        ruleset_current(programme=programme)  # NoRuleset, if that is why there are none
    return rules


def ruleset_rules(*, programme: Programme) -> dict[str, RuleRow]:
    """The rules of the programme's current ruleset by indicator code, with their indicators,
    in the catalogue's order (one query)."""
    return {rule.indicator.code: rule for rule in current_rules_list(programme=programme)}


def ruleset_spec(*, ruleset: Ruleset) -> RulesetSpec:
    """The ruleset as the scoring core takes it (three queries)."""
    from evaluation.part_selectors import ruleset_tasks

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
        tasks=ruleset_tasks(ruleset=ruleset),
        optional_task_weight=ruleset.optional_task_weight,
        spot_checks=SpotCheckPart(tolerance=ruleset.tolerance, deduction=ruleset.deduction)
        if ruleset.spot_checks
        else None,
    )


def programme_spec(*, programme: Programme) -> ProgrammeSpec:
    return ProgrammeSpec(
        code=programme.code,
        baseline_year=programme.baseline_year,
        construction_years=programme.construction_years,
    )


def evaluation_inputs(
    *,
    programme: Programme,
    as_of: dt.date,
    participation_ids: Sequence[int] | None = None,
    participations: Sequence[Participation] | None = None,
    ruleset: RulesetSpec | None = None,
    checked_by: dt.datetime | None = None,
) -> tuple[list[CityInput], dict[str, Participation]]:
    """Every participating city's money, committed targets and approved totals that an
    evaluation at ``as_of`` reads, and what the optional parts of ``ruleset`` read (the money
    planned and spent, the chosen tasks and the experts' scores: ``part_selectors``), only
    when it has them,

    The database sums the approved values per city, indicator, year and granularity (from the
    baseline year, periods that ended by ``as_of``), with a bitmask of the periods present, so
    the evaluation reads a few rows per city instead of every monthly value. Four queries,
    whatever the number of cities; three when the caller has read the ``participations``
    already (with their cities)."""
    by_code, targets, city_ids = _inputs_frame(
        programme=programme, participation_ids=participation_ids, participations=participations
    )
    # Grouped on ids, not codes, and with no join: the codes are mapped back here.
    totals = _totals(
        _grouped_values(programme=programme, as_of=as_of, city_ids=city_ids),
        city_codes={p.city_id: code for code, p in by_code.items()},
        indicator_codes=dict(Indicator.objects.values_list("id", "code")),
    )
    cities = _city_inputs(
        by_code,
        targets,
        totals,
        programme=programme,
        as_of=as_of,
        ruleset=ruleset,
        checked_by=checked_by,
    )
    return cities, by_code


def _city_inputs(
    by_code: dict[str, Participation],
    targets: dict[int, list[tuple[str, Decimal]]],
    totals: dict[str, list[PeriodTotal]],
    *,
    programme: Programme,
    as_of: dt.date,
    ruleset: RulesetSpec | None,
    checked_by: dt.datetime | None,
) -> list[CityInput]:
    """Each city's input in city order, with what ``ruleset``'s optional parts read."""
    cities = [
        CityInput(
            city=code,
            remaining_amount=participation.remaining_amount,
            targets=tuple(sorted(targets[participation.pk])),
            totals=tuple(totals.get(code, ())),
        )
        for code, participation in sorted(by_code.items())
    ]
    if ruleset is None:
        return cities
    from evaluation.part_selectors import with_parts

    return with_parts(
        cities,
        participations=by_code,
        programme=programme,
        as_of=as_of,
        ruleset=ruleset,
        checked_by=checked_by,
    )


# A run reads its chunk's approved totals a part of the cities at a time, so that the database
# sums the next part while the worker scores one: an even size of about READ_PART_CITIES
# cities, at most READ_PARTS_MAX parts of it (so the queries stay bounded whatever the number
# of cities). Nothing overlaps the first part's sums, so, when the database has a core of its
# own (with every core busy the extra queries cost more), the parts start small and grow:
# READ_FIRST_PART cities, then each part 1.6 times the one before (the database sums a city
# faster than the worker scores one, so each next part is summed before it is needed), up to
# the even size: a few parts more, one per step of growth (a chunk of 1,000 cities, parts of
# 125: 13 parts, not 8).
READ_PART_CITIES = 50
READ_PARTS_MAX = 8
READ_FIRST_PART = 8


def read_part_sizes(cities: int, *, small_first: bool = False) -> list[int]:
    """How many cities each part of a chunk of ``cities`` holds, in order (see above); all of
    the even size unless ``small_first``."""
    count = max(1, min(READ_PARTS_MAX, -(-cities // READ_PART_CITIES)))
    size = max(1, -(-cities // count))
    sizes: list[int] = []
    step = min(size, READ_FIRST_PART) if count > 1 and small_first else size
    while cities > 0:
        sizes.append(min(step, cities))
        cities -= sizes[-1]
        step = min(size, max(step + 1, step * 8 // 5))
    return sizes


def evaluation_inputs_in_parts(
    *,
    programme: Programme,
    as_of: dt.date,
    participation_ids: Sequence[int],
    ruleset: RulesetSpec,
    checked_by: dt.datetime | None = None,
    writes: list[Callable[[], None]] | None = None,
    small_first: bool = False,
) -> tuple[dict[str, Participation], Generator[list[CityInput], None, None]]:
    """:func:`evaluation_inputs` of ``participation_ids``, handed over a part of the cities
    at a time (in city order) for ``scoring.evaluate_in_parts``: each city's inputs are
    exactly those ``evaluation_inputs`` gives. Everything but the totals is read first; on
    PostgreSQL the totals of the next part are asked for (pipeline mode, on this connection)
    before a part is handed over, so the database sums them while the caller scores, and their
    rows are taken as the driver gives them (the ORM's conversions give the same values there).
    The caller scores without querying until the parts are all taken (or closes the iterator).
    The queries of ``evaluation_inputs`` less one, plus one per part. ``small_first``: the
    parts start small and grow (``read_part_sizes``), for a database with a core of its own.

    ``writes``: calls the caller adds while it scores a part, each sending statements that
    answer nothing (``bulk.insert_rows_sent``). Each is called once the next part's query is
    on its way, so on PostgreSQL, with two parts or more, the database does it while the
    caller scores that next part; taking a part's rows, the driver waits for everything sent
    so far (an error of a write is raised there, as Django's). Any left when the last part is
    taken are called then (and waited for as the parts end); with one part, or elsewhere, each
    runs as it is called."""
    by_code, targets, _city_ids = _inputs_frame(
        programme=programme, participation_ids=participation_ids, participations=None
    )
    # Their totals come with each part.
    cities = _city_inputs(
        by_code,
        targets,
        {},
        programme=programme,
        as_of=as_of,
        ruleset=ruleset,
        checked_by=checked_by,
    )
    parts, start = [], 0
    for size in read_part_sizes(len(cities), small_first=small_first):
        parts.append(cities[start : start + size])
        start += size
    return by_code, _with_totals(
        programme=programme,
        as_of=as_of,
        parts=parts,
        by_code=by_code,
        writes=writes if writes is not None else [],
    )


def _with_totals(
    *,
    programme: Programme,
    as_of: dt.date,
    parts: list[list[CityInput]],
    by_code: dict[str, Participation],
    writes: list[Callable[[], None]],
) -> Generator[list[CityInput], None, None]:
    city_codes = {p.city_id: code for code, p in by_code.items()}
    indicator_codes = dict(Indicator.objects.values_list("id", "code"))

    def grouped(part: list[CityInput]) -> QuerySet[Any]:
        return _grouped_values(
            programme=programme, as_of=as_of, city_ids=[by_code[c.city].city_id for c in part]
        )

    def filled(part: list[CityInput], rows: Iterable[Sequence[Any]]) -> list[CityInput]:
        totals = _totals(rows, city_codes=city_codes, indicator_codes=indicator_codes)
        return [replace(city, totals=tuple(totals[city.city])) for city in part]

    def written() -> None:
        while writes:
            writes.pop(0)()

    if connection.vendor != "postgresql" or len(parts) < 2:
        for part in parts:
            rows = grouped(part)
            written()
            yield filled(part, rows)
        written()
        return
    connection.ensure_connection()
    # A write's error comes back when a part's rows are taken, or when the pipeline ends:
    # Django's either way.
    with (
        connection.wrap_database_errors,
        connection.connection.pipeline(),
        connection.cursor() as cursor,
    ):
        cursor.execute(*grouped(parts[0]).query.sql_with_params())
        for number, part in enumerate(parts, start=1):
            rows = cursor.fetchall()
            if number < len(parts):
                cursor.execute(*grouped(parts[number]).query.sql_with_params())
            written()
            yield filled(part, rows)
        written()


def _inputs_frame(
    *,
    programme: Programme,
    participation_ids: Sequence[int] | None,
    participations: Sequence[Participation] | None,
) -> tuple[dict[str, Participation], dict[int, list[tuple[str, Decimal]]], Any]:
    """The participations read (by city code, with their cities), their targets and the ids
    of their cities (a list, or a subquery)."""
    if participations is not None:
        by_code = {p.city.code: p for p in participations if p.programme_id == programme.pk}
        # Their ids, not a subquery: simpler to plan.
        chosen_ids: Any = [p.pk for p in by_code.values()]
        city_ids: Any = [p.city_id for p in by_code.values()]
    else:
        chosen = Participation.objects.filter(programme=programme)
        if participation_ids is not None:
            chosen = chosen.filter(pk__in=participation_ids)
        by_code = {p.city.code: p for p in chosen.select_related("city")}
        chosen_ids, city_ids = chosen.values("pk"), chosen.values("city_id")
    targets: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
    for participation_id, indicator, value in Target.objects.filter(
        participation_id__in=chosen_ids
    ).values_list("participation_id", "indicator__code", "value"):
        targets[participation_id].append((indicator, value))
    return by_code, targets, city_ids


def _grouped_values(*, programme: Programme, as_of: dt.date, city_ids: Any) -> QuerySet[Any]:
    """The approved values of ``city_ids`` an evaluation at ``as_of`` reads, summed per city,
    indicator, year and granularity, with the bitmask of the periods present."""
    values = periods_ended_by(
        MetricValue.objects.filter(
            city_id__in=city_ids,
            status=MetricValue.Status.APPROVED,
            year__gte=programme.baseline_year,
        ),
        as_of,
    )
    grouped: QuerySet[Any] = (
        values.order_by()
        .values("city_id", "indicator_id", "year", "granularity")
        # Each period number appears once per group (a unique constraint), so the sum of
        # 1 << number is the set of periods present.
        .annotate(total=Sum("value"), mask=PERIODS_PRESENT)
        .values_list("city_id", "indicator_id", "year", "granularity", "total", "mask")
    )
    return grouped


def _totals(
    rows: Iterable[Sequence[Any]], *, city_codes: dict[int, str], indicator_codes: dict[int, str]
) -> dict[str, list[PeriodTotal]]:
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
    return totals


GRANULARITIES = {str(g): g for g in Granularity}

# Summed over a group of periods of one year and granularity (each number once), the bitmask of
# the periods present (``_periods_present`` reads it back).
PERIODS_PRESENT = Sum(Value(1).bitleftshift(F("number")))  # type: ignore[arg-type]


def periods_ended_by(values: QuerySet[Any], as_of: dt.date) -> QuerySet[Any]:
    """The rows (of a model with period fields) whose period ended on or before ``as_of``:
    what an evaluation at that date reads."""
    end_year, end_month = last_ended_month(as_of)
    values = values.filter(year__lte=end_year)
    if end_month < 12:
        # Part of the last year has not ended: leave out its periods that end later.
        last_month = Case(
            When(granularity=Granularity.YEAR, then=Value(12)),
            When(granularity=Granularity.QUARTER, then=F("number") * 3),
            default=F("number"),
            output_field=IntegerField(),
        )
        values = values.annotate(last_month=last_month).filter(
            Q(year__lt=end_year) | Q(last_month__lte=end_month)
        )
    return values


def periods_present(mask: int) -> frozenset[int]:
    """The period numbers a ``PERIODS_PRESENT`` bitmask holds."""
    return _periods_present(mask)


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


@dataclass(frozen=True)
class PeriodStatus:
    """A period a city owes figures for, as its officials and reviewers see it."""

    period: Period
    due_date: dt.date
    report: int | None
    # The report's status; "approved" when the period has no report but every indicator's
    # value is there and approved (a file load, the demo); otherwise "missing".
    status: str
    late: bool
    missing: bool
    # The reviewer's comment on its report (empty when none, or no report).
    review_comment: str = ""

    @property
    def label(self) -> str:
        return self.period.label

    @property
    def awaits_city(self) -> bool:
        """The city's officials must act on it (fill it in, or correct it), by the workflow
        table; a report awaiting review, or approved, does not await the city."""
        return workflow.REPORT.state(self.status).awaits == workflow.Actor.OFFICIAL

    @property
    def fillable(self) -> bool:
        """The city's officials may still change its figures (the workflow table)."""
        return workflow.REPORT.open_to(self.status, workflow.Actor.OFFICIAL)

    @property
    def not_due(self) -> bool:
        """Nothing reported yet, and not due yet either."""
        return self.report is None and self.fillable and not self.missing

    @property
    def shown_state(self) -> str:
        """Its state as the pages mark it: the workflow's, or ``NOT_DUE``."""
        return NOT_DUE if self.not_due else self.status

    @property
    def state_label(self) -> str:
        """Its state in words, in the active language: the workflow table's label, or "not yet
        due" for a period nothing has been reported for that is not due yet."""
        if self.not_due:
            return gettext("not yet filled in, not yet due")
        return workflow.REPORT.label(self.status)

    @property
    def state_word(self) -> str:
        """Its state in one word or two, for a cell of a table (the workflow table's word)."""
        if self.not_due:
            return gettext("not yet due")
        return workflow.REPORT.word(self.status)


MISSING = workflow.REPORT.absent
# The pages' mark of a period nothing was reported for that is not due yet (not a state of a
# report: no step leads to or from it).
NOT_DUE = "open"


def participation_periods(
    *, participation: Participation, today: dt.date, fetched_by: User | AnonymousUser | None
) -> list[PeriodStatus]:
    """Every period the city owes a report for, up to ``today``: the baseline year as one
    annual figure and the construction years by month (or by whatever granularity the city's
    reports or stored values chose for a year), each with its report's status, its due date,
    and whether it is late or missing (due and neither submitted nor already approved).

    ``fetched_by`` is the person asking (None: the system, e.g. the reminders); anyone who may
    not see the city gets ``NotFound``."""
    if fetched_by is not None and not _may_see(fetched_by, participation):
        raise NotFound()
    return _periods_owed([participation], today=today)[participation.pk]


def late_with_a_report(rows: Iterable[PeriodStatus]) -> bool:
    """Whether a city is late with a report: a period it owes is missing (due and not
    submitted) or was submitted late. The reviewers' to-do counts these cities and the
    completeness view shows them alone."""
    return any(row.late or row.missing for row in rows)


def programme_periods(
    *, programme: Programme, today: dt.date, fetched_by: User | AnonymousUser
) -> list[tuple[Participation, list[PeriodStatus]]]:
    """Every participating city of ``programme`` (by code) with the periods it owes, by the
    same rule as :func:`participation_periods`, in a fixed number of queries whatever the
    number of cities and periods. Ministry reviewers only (``Forbidden``)."""
    require_reviewer(fetched_by)
    participations = list(
        Participation.objects.filter(programme=programme)
        .select_related("city", "programme")
        .order_by("city__code")
    )
    owed = _periods_owed(participations, today=today)
    return [(participation, owed[participation.pk]) for participation in participations]


def _periods_owed(
    participations: Sequence[Participation], *, today: dt.date
) -> dict[int, list[PeriodStatus]]:
    """The rule of the periods owed, for participations of one programme or several: one query
    for their reports, one for their stored values (counted per period), and one per
    programme for its ruleset's indicators."""
    if not participations:
        return {}
    # A city's reports, whichever of its batches they are filed in: a period is reported once.
    reports: dict[int, dict[Period, Report]] = defaultdict(dict)
    for report in Report.objects.filter(city_id__in={p.city_id for p in participations}).order_by():
        reports[report.city_id][report.period] = report
    indicators: dict[int, list[int]] = {}
    for programme in {p.programme_id: p.programme for p in participations}.values():
        indicators[programme.pk] = list(
            current_rules(programme=programme).values_list("indicator_id", flat=True)
        )
    # Per city and period: which granularities hold values, and how many of each programme's
    # indicators have an approved value (one value per indicator and period, so "every
    # indicator approved" is a count).
    first = min(p.programme.baseline_year for p in participations)
    counts = {
        f"approved_{programme}": Count(
            "pk", filter=Q(status=MetricValue.Status.APPROVED, indicator_id__in=ids)
        )
        for programme, ids in indicators.items()
    }
    stored_kinds: dict[tuple[int, int], set[str]] = defaultdict(set)
    approved: dict[tuple[int, int, Period], int] = {}
    for row in (
        MetricValue.objects.filter(
            city_id__in={p.city_id for p in participations}, year__gte=first, year__lte=today.year
        )
        .order_by()
        .values("city_id", "year", "granularity", "number")
        .annotate(**counts)
    ):
        city_id, year, granularity = row["city_id"], row["year"], row["granularity"]
        stored_kinds[(city_id, year)].add(granularity)
        period = Period(year, GRANULARITIES[granularity], row["number"])
        for programme_id in indicators:
            approved[(programme_id, city_id, period)] = row[f"approved_{programme_id}"]
    return {
        p.pk: _periods_of(
            p,
            reports=reports[p.city_id],
            indicators=len(indicators[p.programme_id]),
            stored_kinds=stored_kinds,
            approved=approved,
            today=today,
        )
        for p in participations
    }


def _periods_of(
    participation: Participation,
    *,
    reports: dict[Period, Report],
    indicators: int,
    stored_kinds: dict[tuple[int, int], set[str]],
    approved: dict[tuple[int, int, Period], int],
    today: dt.date,
) -> list[PeriodStatus]:
    programme = participation.programme
    city = participation.city_id
    last_year = programme.baseline_year + programme.construction_years
    years = range(programme.baseline_year, min(last_year, today.year) + 1)
    chosen = {period.year: period.granularity for period in reports}
    periods: list[Period] = []
    for year in years:
        default = Granularity.YEAR if year == programme.baseline_year else Granularity.MONTH
        kinds = stored_kinds.get((city, year), set())
        if year not in chosen and len(kinds) == 1:
            default = GRANULARITIES[next(iter(kinds))]
        periods += [
            p
            for p in year_parts(year, chosen.get(year, default))
            if inputs.period_has_ended(period=p, today=today)
        ]
    out: list[PeriodStatus] = []
    for period in periods:
        report = reports.get(period)
        due = inputs.due_date(programme=programme, period=period)
        all_approved = indicators and approved.get((programme.pk, city, period)) == indicators
        if report is None and all_approved:
            approved_state = workflow.REPORT.target_of("approve")
            out.append(PeriodStatus(period, due, None, approved_state, late=False, missing=False))
            continue
        submitted_at = report.submitted_at if report is not None else None
        out.append(
            PeriodStatus(
                period=period,
                due_date=due,
                report=report.pk if report else None,
                status=report.status if report else MISSING,
                late=inputs.is_late(due=due, submitted_at=submitted_at, today=today),
                missing=submitted_at is None and today > due,
                review_comment=report.review_comment if report else "",
            )
        )
    return out


def reminder_owed(row: PeriodStatus, today: dt.date) -> bool:
    """Whether a reviewer's reminder to the city names the period: it awaits the city (nothing
    reported, a draft, or returned) and is due within ``REMINDER_DAYS_BEFORE`` days, or
    overdue."""
    return row.awaits_city and today >= row.due_date - dt.timedelta(
        days=settings.REMINDER_DAYS_BEFORE
    )


def _may_see(user: User | AnonymousUser, participation: Participation) -> bool:
    return participations_for(user).filter(pk=participation.pk).exists()


# A city's reports and values -----------------------------------------------------------------


def report_of_period(*, participation: Participation, period: Period) -> Report | None:
    return Report.objects.filter(
        participation=participation,
        year=period.year,
        granularity=str(period.granularity),
        number=period.number,
    ).first()


def report_periods_of_year(*, city_id: int, year: int, besides: Period) -> list[Period]:
    """The periods of the city's other reports of ``year`` (in any of its batches) at another
    granularity than ``besides`` (what one granularity a year is checked against)."""
    return [
        report.period
        for report in Report.objects.filter(city_id=city_id, year=year).exclude(
            granularity=str(besides.granularity)
        )
    ]


def value_periods_of_year(
    *, city_id: int, indicators: Sequence[str], year: int, besides: Granularity
) -> list[tuple[str, Period]]:
    """The stored values' (indicator, period) of the city's ``indicators`` in ``year`` at
    another granularity than ``besides``."""
    return [
        (code, Period(year_, GRANULARITIES[granularity], number))
        for code, year_, granularity, number in MetricValue.objects.filter(
            city_id=city_id, indicator__code__in=list(indicators), year=year
        )
        .exclude(granularity=str(besides))
        .values_list("indicator__code", "year", "granularity", "number")
    ]


def period_values(*, city_id: int, period: Period, lock: bool = False) -> list[MetricValue]:
    """The city's values of ``period`` (every indicator, whatever their report), with their
    indicators; ``lock``: locked for the caller's transaction."""
    return values_of_periods(city_id=city_id, periods=[period], lock=lock)


def values_of_periods(
    *, city_id: int, periods: list[Period], lock: bool = False
) -> list[MetricValue]:
    """``period_values`` of several periods in one query."""
    if not periods:
        return []
    which = Q()
    for period in periods:
        which |= Q(year=period.year, granularity=str(period.granularity), number=period.number)
    values = MetricValue.objects.filter(which, city_id=city_id).select_related("indicator")
    if lock:
        values = values.select_for_update(of=("self",))
    return list(values)


def values_a_year_earlier(*, city_id: int, period: Period) -> dict[int, MetricValue]:
    """The city's values of the same period a year earlier, submitted or approved (a draft is
    not a figure yet), by indicator id: what a reported value is compared with (its
    data-quality flags) and shown beside (the reviewer's report page, the official's form).
    One query."""
    return {
        value.indicator_id: value
        for value in MetricValue.objects.filter(
            city_id=city_id,
            year=period.year - 1,
            granularity=str(period.granularity),
            number=period.number,
            status__in=[MetricValue.Status.SUBMITTED, MetricValue.Status.APPROVED],
        )
    }


def report_missing_indicators(*, report: Report, values: Sequence[MetricValue]) -> list[str]:
    """The indicators of the programme's current ruleset the report has no value for. A report
    is complete, and can be submitted, only with a value for every one (zero is a value)."""
    rules = ruleset_current(programme=report.participation.programme).rules.reported()
    return _missing(
        rules.order_by("indicator__position").values_list("indicator_id", "indicator__code"),
        {value.indicator_id for value in values},
    )


def _missing(rules: Iterable[tuple[int, str]], present: set[int]) -> list[str]:
    return [code for indicator_id, code in rules if indicator_id not in present]


@dataclass(frozen=True)
class ReportGaps:
    """What keeps a report from being submitted: the indicators it has no value for, and
    whether it has any value of its own at all (a figure approved outside it, by an audited
    file, counts towards a complete period but is not the report's to submit)."""

    missing: list[str]
    has_values: bool

    @property
    def complete(self) -> bool:
        return self.has_values and not self.missing


def reports_gaps(
    *, participation: Participation, reports: Sequence[Report]
) -> dict[int, ReportGaps]:
    """For each of the city's ``reports``, what it still lacks before it can be submitted (the
    rules ``report_submit`` applies), in three queries whatever their number."""
    rules = list(
        ruleset_current(programme=participation.programme)
        .rules.reported()
        .order_by("indicator__position")
        .values_list("indicator_id", "indicator__code")
    )
    present: dict[Period, set[int]] = defaultdict(set)
    # Whose values they are: a report's id, or None for a value in no report not yet approved
    # (a report takes it when submitted); an approved one outside every report is nobody's.
    owners: dict[Period, set[int | None]] = defaultdict(set)
    for year, granularity, number, indicator_id, report_id, status in MetricValue.objects.filter(
        city_id=participation.city_id, year__in={report.year for report in reports}
    ).values_list("year", "granularity", "number", "indicator_id", "report_id", "status"):
        period = Period(year, GRANULARITIES[granularity], number)
        present[period].add(indicator_id)
        if report_id is not None or status != MetricValue.Status.APPROVED:
            owners[period].add(report_id)
    return {
        report.pk: ReportGaps(
            missing=_missing(rules, present[report.period]),
            has_values=bool(owners[report.period] & {report.pk, None}),
        )
        for report in reports
    }


def returned_by_province(report: Report) -> bool:
    """Whether the report went back to the city by its province (省级复核: a return of the
    whole report or of single values), not by the ministry: its last history row says so (the
    reasons' registry). Read by the city's period page and the return email alike."""
    last = (
        report.history.order_by("-history_id")
        .values_list("history_change_reason", flat=True)
        .first()
    )
    found = reason_code(last)
    return found is not None and found[0] in ("province_returned", "province_returned_values")


def report_comments(*, report_id: int) -> list[ReportComment]:
    """The report's conversation, oldest first, with their authors (one query): the reviewer's
    return comments, the city's replies, further notes."""
    return list(ReportComment.objects.filter(report_id=report_id).select_related("author"))


# Evidence and returned values ---------------------------------------------------------------


def evidence_for(user: User | AnonymousUser) -> QuerySet[Evidence]:
    """The files of evidence ``user`` may read: a reviewer every city's, an official their own
    cities' (by the report's participation), a provincial reviewer those of the cities it
    reviews (``access.province_participations_for``); nobody else any."""
    from evaluation.access import is_reviewer, province_participations_for

    queryset = Evidence.objects.select_related("report", "value__indicator", "uploaded_by")
    if not user.is_authenticated:
        return queryset.none()
    if is_reviewer(user):
        return queryset
    return queryset.filter(
        Q(report__participation__in=Participation.objects.filter(officials__user=user))
        | Q(report__participation__in=province_participations_for(user).values("pk"))
    )


def report_evidence(*, report_id: int) -> list[Evidence]:
    """The report's files still attached, oldest first, with their values (one query)."""
    return list(
        Evidence.objects.filter(report_id=report_id, removed_at__isnull=True).select_related(
            "value__indicator", "uploaded_by"
        )
    )


def open_value_returns(*, report_id: int) -> dict[int, ValueReturn]:
    """The values of the report a reviewer returned one by one that the city has not sent back
    yet, by value id (one query). Empty: the report as a whole is the city's to change."""
    return open_value_returns_of(report_ids=[report_id]).get(report_id, {})


def open_value_returns_of(*, report_ids: list[int]) -> dict[int, dict[int, ValueReturn]]:
    """``open_value_returns`` of several reports, by report id, in one query."""
    returns: dict[int, dict[int, ValueReturn]] = {}
    for r in ValueReturn.objects.filter(
        report_id__in=report_ids, resubmitted_at__isnull=True
    ).select_related("value__indicator"):
        returns.setdefault(r.report_id, {})[r.value_id] = r
    return returns


@dataclass(frozen=True)
class ValueChange:
    """One value of a report since the reviewer sent it back: ``old`` as it was then (None: not
    there yet), ``new`` as it is now; the files attached and removed since; the reviewer's
    reason if the value was returned on its own."""

    code: str
    old: Decimal | None
    new: Decimal | None
    added: list[Evidence]
    removed: list[Evidence]
    reason: str

    @property
    def changed(self) -> bool:
        return self.old != self.new or bool(self.added or self.removed)


@dataclass(frozen=True)
class ChangesSinceReturn:
    """What changed in a report since it was last sent back to the city (returned or
    reopened): ``since`` that moment (None: it never was)."""

    since: dt.datetime | None
    values: list[ValueChange]
    report_added: list[Evidence]
    report_removed: list[Evidence]

    @property
    def any(self) -> bool:
        return bool(self.report_added or self.report_removed) or any(v.changed for v in self.values)


def report_changes_since_return(*, report: Report) -> ChangesSinceReturn:
    """The diff a reviewer reads on resubmission: every value of the report as it was when the
    report last went back to the city (its history at that moment) against now, and the files
    attached or removed since. Five queries."""
    from evaluation.models import MetricValue

    # The moment it went back: the reviewer's time on the report (a return or reopening sets
    # it, and the report keeps it while the city corrects and resubmits).
    went_back = ReportComment.objects.filter(
        report_id=report.pk, kind__in=[ReportComment.Kind.RETURN, ReportComment.Kind.REOPEN]
    ).exists()
    final = workflow.REPORT.state(report.status).final
    since = report.reviewed_at if went_back and not final else None
    if since is None:
        return ChangesSinceReturn(None, [], [], [])
    then: dict[int, Decimal] = {}
    for row in (
        MetricValue.history.filter(report_id=report.pk, history_date__lte=since)
        .order_by("history_date", "history_id")
        .values("id", "value", "history_type")
    ):
        if row["history_type"] == "-":
            then.pop(row["id"], None)
        else:
            then[row["id"]] = row["value"]
    reasons = {
        r.value_id: r.reason
        for r in ValueReturn.objects.filter(report_id=report.pk, returned_at__gte=since)
    }
    files = list(
        Evidence.objects.filter(report_id=report.pk)
        .filter(Q(uploaded_at__gt=since) | Q(removed_at__gt=since))
        .select_related("value")
    )
    changes = []
    for value in MetricValue.objects.filter(report_id=report.pk).select_related("indicator"):
        changes.append(
            ValueChange(
                code=value.indicator.code,
                old=then.get(value.pk),
                new=value.value,
                added=[
                    f
                    for f in files
                    if f.value_id == value.pk and f.uploaded_at > since and f.removed_at is None
                ],
                removed=[
                    f
                    for f in files
                    if f.value_id == value.pk
                    and f.removed_at is not None
                    and f.uploaded_at <= since
                ],
                reason=reasons.get(value.pk, ""),
            )
        )
    changes.sort(key=lambda c: (c.reason == "", c.code))
    return ChangesSinceReturn(
        since,
        changes,
        [f for f in files if f.value_id is None and f.uploaded_at > since and not f.removed_at],
        [f for f in files if f.value_id is None and f.removed_at and f.uploaded_at <= since],
    )


def report_review_steps(*, report: Report) -> list[workflow.Step]:
    """The review steps (approve, return, reopen) a reviewer may take on the report now, by
    the workflow table."""
    return workflow.REPORT.steps_from(
        report.status,
        workflow.Actor.REVIEWER,
        provincial=report.participation.programme.provincial_review,
    )


def reviewer_emails() -> list[str]:
    """Where the ministry's reviewers (and administrators) are told of work awaiting them."""
    from django.contrib.auth.models import User

    return sorted(
        set(
            User.objects.filter(groups__name__in=[REVIEWERS, ADMINISTRATORS], is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


def province_reviewer_emails(*, province: str) -> list[str]:
    """Where the reviewers of ``province`` (its two digits) are told of a report awaiting their
    review (省级复核)."""
    from django.contrib.auth.models import User

    return sorted(
        set(
            User.objects.filter(
                groups__name=PROVINCIAL_REVIEWERS,
                is_active=True,
                provincial_reviewer__province=province,
            )
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


# People and their tokens ---------------------------------------------------------------------

# Each ministry role and the group that carries it.
ROLES = {
    RoleChange.Role.REVIEWER: REVIEWERS,
    RoleChange.Role.ADMINISTRATOR: ADMINISTRATORS,
    RoleChange.Role.EXPERT: EXPERTS,
    RoleChange.Role.PROVINCE: PROVINCIAL_REVIEWERS,
    RoleChange.Role.CHECKER: CHECKERS,
}


def roles_of(user: User) -> set[str]:
    """The ministry roles ``user`` holds."""
    names = set(user.groups.values_list("name", flat=True))
    return {role for role, group in ROLES.items() if group in names}


def token_list(*, fetched_by: User) -> QuerySet[AuthToken]:
    """The user's own API tokens that still work, newest first."""
    live: QuerySet[AuthToken] = AuthToken.objects.filter(
        Q(expiry__isnull=True) | Q(expiry__gt=timezone.now()), user=fetched_by
    ).order_by("-created", "token_key")
    return live


# Sign-off ------------------------------------------------------------------------------------


def decisions_sign_off(
    queryset: QuerySet[TrancheDecision] | None = None, *, by: User | None = None
) -> QuerySet[TrancheDecision]:
    """The rule of which decisions can be signed off, in one place: each decision annotated with
    ``sign_off`` (a ``workflow.SignOff`` value; ``open`` only if ``by`` may sign it off now),
    and the run that blocks it (``signed_run``, ``newer_run``). Only the decisions of a
    successful official run, not yet signed, not by the reviewer who triggered the run, and of
    the one official run per programme and date that is decided: the newest, unless another
    one's sign-off has begun."""
    from django.db.models import CharField, Exists, OuterRef, Subquery

    from evaluation.models import PaymentSuspension

    sign_off = workflow.SignOff
    queryset = TrancheDecision.objects.all() if queryset is None else queryset
    others = EvaluationRun.objects.filter(
        programme_id=OuterRef("city_result__run__programme_id"),
        as_of=OuterRef("city_result__run__as_of"),
        kind=EvaluationRun.Kind.OFFICIAL,
        status=EvaluationRun.Status.SUCCEEDED,
    ).exclude(pk=OuterRef("city_result__run_id"))
    newest_first = ("-created_at", "-id")
    queryset = queryset.annotate(
        signed_run=Subquery(
            others.filter(city_results__decision__status__in=workflow.SIGNED)
            .order_by(*newest_first)
            .values("pk")[:1]
        ),
        newer_run=Subquery(
            others.filter(created_at__gt=OuterRef("city_result__run__created_at"))
            .order_by(*newest_first)
            .values("pk")[:1]
        ),
    )
    run = "city_result__run__"
    whens = [
        When(~Q(**{run + "kind": EvaluationRun.Kind.OFFICIAL}), then=Value(sign_off.PROVISIONAL)),
        When(
            ~Q(**{run + "status": EvaluationRun.Status.SUCCEEDED}),
            then=Value(sign_off.UNFINISHED),
        ),
        When(~Q(status__in=workflow.DECISION.step("confirm").sources), then=Value(sign_off.SIGNED)),
    ]
    if by is not None:
        whens.append(When(**{run + "triggered_by_id": by.pk}, then=Value(sign_off.OWN_RUN)))
    whens += [
        When(signed_run__isnull=False, then=Value(sign_off.OTHER_RUN_SIGNED)),
        When(newer_run__isnull=False, then=Value(sign_off.SUPERSEDED)),
        # Dual monitoring: a city whose payment a reviewer suspended waits for a second one.
        When(
            Exists(
                PaymentSuspension.objects.filter(
                    participation_id=OuterRef("city_result__participation_id"),
                    lifted_at__isnull=True,
                )
            ),
            then=Value(sign_off.SUSPENDED),
        ),
    ]
    return queryset.annotate(
        sign_off=Case(*whens, default=Value(sign_off.OPEN), output_field=CharField())
    )


# History --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: object
    new: object


@dataclass(frozen=True)
class HistoryEntry:
    """One change of an audited object: who, when, why, and each field from old to new."""

    object: str
    object_id: int
    type: str
    at: dt.datetime
    by: str | None  # the login
    by_name: str | None  # the full name, else the login
    reason: str | None
    changes: list[FieldChange]


def audited_models() -> dict[str, type[Model]]:
    """The audited models by the name the API and the portal use for them."""
    # Imported here: the scoring core's GradeBand and IndicatorRule have these names above.
    from evaluation.models import (
        Expenditure,
        ExpertProfile,
        GradeBand,
        IndicatorRule,
        OfficialAssignment,
        PanelAssignment,
        PaymentSuspension,
        SelfEvaluation,
        SpendingPlan,
        TaskChoice,
        TaskScore,
        TrancheDecision,
    )
    from evaluation.models.cities import City
    from evaluation.models.rulesets import RulesetTask

    return {
        "run": EvaluationRun,
        "report": Report,
        "metricvalue": MetricValue,
        "target": Target,
        "ruleset": Ruleset,
        "indicatorrule": IndicatorRule,
        "gradeband": GradeBand,
        "decision": TrancheDecision,
        "participation": Participation,
        "city": City,
        "programme": Programme,
        "indicator": Indicator,
        "officialassignment": OfficialAssignment,
        # The optional parts of a ruleset and what they read.
        "rulesettask": RulesetTask,
        "spendingplan": SpendingPlan,
        "expenditure": Expenditure,
        "taskchoice": TaskChoice,
        "panelassignment": PanelAssignment,
        "expertprofile": ExpertProfile,
        "taskscore": TaskScore,
        "paymentsuspension": PaymentSuspension,
        # A city's self-evaluation (自评) and its review.
        "selfevaluation": SelfEvaluation,
        # A report's conversation and its files of evidence (shown in the report's history).
        "comment": ReportComment,
        "evidence": Evidence,
    }


def object_history(*, model: str, pk: int, fetched_by: User | AnonymousUser) -> list[HistoryEntry]:
    """The history of one audited object (``model`` is a key of ``audited_models()``), oldest
    first, each entry with its changes against the one before; a report's history includes its
    values' and the officials' answers on it (``comment``). Ministry reviewers only
    (``Forbidden``); an unknown object is ``NotFound``."""
    require_reviewer(fetched_by)
    klass = audited_models().get(model)
    if klass is None:
        raise NotFound()
    history = klass.history  # type: ignore[attr-defined]
    records = list(history.filter(id=pk).select_related("history_user").order_by("history_id"))
    if not records:
        raise NotFound()
    entries = _history_entries(records, model)
    if klass is Report:
        by_value: dict[int, list[Any]] = {}
        for record in (
            MetricValue.history.filter(report_id=pk)
            .select_related("history_user")
            .order_by("history_id")
        ):
            by_value.setdefault(record.id, []).append(record)
        for value_records in by_value.values():
            entries += _history_entries(value_records, "metricvalue")
        entries += [
            HistoryEntry(
                object="comment",
                object_id=comment.pk,
                type="created",
                at=comment.created_at,
                by=comment.author.username,
                by_name=comment.author.get_full_name() or comment.author.username,
                reason=comment.get_kind_display(),
                changes=[FieldChange("text", None, comment.text)],
            )
            for comment in report_comments(report_id=pk)
        ]
        # The report's files of evidence, each change with its SHA-256 (object ``evidence``).
        by_file: dict[int, list[Any]] = {}
        for record in (
            Evidence.history.filter(report_id=pk)
            .select_related("history_user")
            .order_by("history_id")
        ):
            by_file.setdefault(record.id, []).append(record)
        for file_records in by_file.values():
            entries += _history_entries(file_records, "evidence")
    entries.sort(key=lambda e: (e.at, e.object))
    return entries


_HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}


def _history_entries(records: list[Any], label: str) -> list[HistoryEntry]:
    """Each history record with its changes against the one before it (oldest first)."""
    entries = []
    previous = None
    for record in records:
        meta = record.instance_type._meta
        if previous is None:
            changes = [
                FieldChange(f.attname, None, _plain(getattr(record, f.attname)))
                for f in meta.concrete_fields
            ]
        else:
            changes = [
                # The column's name, as in a creation entry (decided_by_id, not decided_by).
                FieldChange(meta.get_field(c.field).attname, _plain(c.old), _plain(c.new))
                for c in record.diff_against(previous).changes
            ]
        entries.append(
            HistoryEntry(
                object=label,
                object_id=record.id,
                type=_HISTORY_TYPES[record.history_type],
                at=record.history_date,
                by=record.history_user.username if record.history_user else None,
                by_name=(
                    record.history_user.get_full_name() or record.history_user.username
                    if record.history_user
                    else None
                ),
                reason=record.history_change_reason,
                changes=changes,
            )
        )
        previous = record
    return entries


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, bool | int) else str(value)


# The reviewers' to-do -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewerTodo:
    """What awaits a reviewer, counted: reports awaiting review (the workflow table's states a
    reviewer acts in), decisions they may sign off now (``decisions_sign_off``'s ``open``), and
    cities late with a report (a period due and not submitted, by the one periods rule)."""

    reports_to_review: int
    decisions_to_sign: int
    late_cities: int
    # The programmes those cities are late in, each with its count, in the programmes' order:
    # the to-do links each to its completeness page, showing the late cities only.
    late_by_programme: tuple[tuple[Programme, int], ...] = ()


def reports_awaiting_ministry() -> QuerySet[Report]:
    """The reports a ministry reviewer may approve now, by the workflow table: in a programme
    without the provincial review those the city submitted, in one with it only those the
    province forwarded (a submitted report there awaits its province, not the ministry)."""
    direct = workflow.REPORT.sources("approve", provincial=False)
    provincial = workflow.REPORT.sources("approve", provincial=True)
    return Report.objects.filter(
        Q(participation__programme__provincial_review=False, status__in=direct)
        | Q(participation__programme__provincial_review=True, status__in=provincial)
    )


def reviewer_todo(*, by: User, today: dt.date) -> ReviewerTodo:
    """The reviewer's to-do counts, in a fixed number of queries (the periods rule reads each
    programme's ruleset), whatever the number of cities and periods. Reviewers only."""
    require_reviewer(by)
    reports = reports_awaiting_ministry()
    decisions = decisions_sign_off(by=by).filter(sign_off=workflow.SignOff.OPEN)  # type: ignore[misc]
    participations = list(
        Participation.objects.select_related("programme", "city").order_by("programme", "city")
    )
    owed = _periods_owed(participations, today=today)
    late_participations = [
        participation
        for participation in participations
        if late_with_a_report(owed[participation.pk])
    ]
    by_programme: dict[int, tuple[Programme, int]] = {}
    for participation in late_participations:
        programme, count = by_programme.get(
            participation.programme_id, (participation.programme, 0)
        )
        by_programme[participation.programme_id] = (programme, count + 1)
    return ReviewerTodo(
        reports_to_review=reports.count(),
        decisions_to_sign=decisions.count(),
        late_cities=len({participation.city_id for participation in late_participations}),
        late_by_programme=tuple(by_programme.values()),
    )
