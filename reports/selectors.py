"""Reads for the documents. Every figure comes from the stored run (``CityResult``,
``IndicatorResult``, ``TrancheDecision``), never scored again, and each read filters by who is
asking: reviewers see every city; a city's officials see their own city's scorecard, of
provisional runs and of official runs once finalised."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Prefetch, QuerySet
from django.utils.translation import gettext as _

from evaluation.access import (
    Forbidden,
    NotFound,
    city_results_for,
    get_or_not_found,
    is_reviewer,
)
from evaluation.exceptions import Unavailable
from evaluation.models import (
    CityReminder,
    CityResult,
    EvaluationRun,
    Indicator,
    IndicatorResult,
    Participation,
    Programme,
    TrancheDecision,
)
from evaluation.selectors import (
    NOT_DUE,
    late_with_a_report,
    programme_periods,
    reminder_owed,
    reports_awaiting_ministry,
)
from evaluation.vocabulary import Grade
from evaluation.workflow import REPORT, SIGNED
from reports.models import Document

GRADES = [Grade.EXCELLENT, Grade.GOOD, Grade.FAIR, Grade.POOR]


def _results(queryset: QuerySet[CityResult]) -> QuerySet[CityResult]:
    return queryset.select_related(
        "participation__city",
        "participation__programme",
        "decision__decided_by",
        "run__programme",
        "run__ruleset",
        "run__triggered_by",
    ).prefetch_related(
        Prefetch(
            "indicator_results",
            queryset=IndicatorResult.objects.select_related("indicator")
            .prefetch_related("panel_marks__expert")
            .order_by("position"),
        )
    )


def scorecard_get(*, run_id: int, city_code: str, fetched_by: User | AnonymousUser) -> CityResult:
    """The city's result in the run, with its indicators, decision and run; ``NotFound`` when
    it does not exist or ``fetched_by`` may not know it does."""
    result: CityResult = get_or_not_found(
        _results(city_results_for(fetched_by)),
        run_id=run_id,
        participation__city__code=city_code,
    )
    return result


def run_for_reviewer(*, run_id: int, fetched_by: User | AnonymousUser) -> EvaluationRun:
    """A successful run, for the reviewers' documents (ranking, decision record, dashboard)."""
    if not is_reviewer(fetched_by):
        raise Forbidden(_("only ministry reviewers see the programme's ranking and documents"))
    run: EvaluationRun = get_or_not_found(
        EvaluationRun.objects.select_related("programme", "ruleset", "triggered_by"),
        pk=run_id,
        status=EvaluationRun.Status.SUCCEEDED,
    )
    return run


def run_for_dossier(*, run_id: int, fetched_by: User | AnonymousUser) -> EvaluationRun:
    """A finalised official run, for its evaluation dossier: reviewers only. Anyone else is
    told there is no such thing (404), as for another city's objects."""
    if not is_reviewer(fetched_by):
        raise NotFound()
    run: EvaluationRun = get_or_not_found(
        EvaluationRun.objects.select_related("programme", "ruleset", "triggered_by"),
        pk=run_id,
        status=EvaluationRun.Status.SUCCEEDED,
        kind=EvaluationRun.Kind.OFFICIAL,
        finalised_at__isnull=False,
    )
    return run


def programme_for_reviewer(*, programme_id: int, fetched_by: User | AnonymousUser) -> Programme:
    if not is_reviewer(fetched_by):
        raise Forbidden(_("only ministry reviewers see the programme's dashboard"))
    programme: Programme = get_or_not_found(Programme.objects.all(), pk=programme_id)
    return programme


def run_results_full(*, run: EvaluationRun) -> list[CityResult]:
    """Every city's result of the run with indicators and decision (three queries)."""
    return list(_results(CityResult.objects.filter(run=run)).order_by("participation__city__code"))


def city_result_full(*, run: EvaluationRun, participation_id: int) -> CityResult | None:
    return _results(CityResult.objects.filter(run=run, participation_id=participation_id)).first()


def runs_earlier(*, run: EvaluationRun) -> QuerySet[EvaluationRun]:
    """The programme's successful runs made before ``run``: what a ranking can compare with."""
    return (
        EvaluationRun.objects.filter(
            programme_id=run.programme_id,
            status=EvaluationRun.Status.SUCCEEDED,
            created_at__lte=run.created_at,
        )
        .exclude(pk=run.pk)
        .order_by("-created_at", "-id")
    )


@dataclass
class RankingRow:
    rank: int
    result: CityResult
    score_change: Decimal | None
    grade_before: str | None

    @property
    def decision(self) -> TrancheDecision:
        return self.result.decision

    @property
    def signed_amount(self) -> Decimal | None:
        decision = self.result.decision
        return decision.final_amount if decision.status in SIGNED else None


@dataclass
class Ranking:
    run: EvaluationRun
    since: EvaluationRun | None
    rows: list[RankingRow]
    grades: list[tuple[str, int]]
    remaining_total: Decimal
    recommended_total: Decimal
    signed_total: Decimal
    signed_count: int

    @property
    def unsigned_count(self) -> int:
        return len(self.rows) - self.signed_count


def ranking_get(*, run: EvaluationRun, since: EvaluationRun | None) -> Ranking:
    """Every city by score (highest first; equal scores share a rank and are listed by city
    code), with the change since ``since`` where the city was scored in it too."""
    results = run_results_full(run=run)
    before: dict[int, tuple[Decimal, str]] = {}
    if since is not None:
        before = {
            participation: (score, grade)
            for participation, score, grade in CityResult.objects.filter(run=since).values_list(
                "participation_id", "score", "grade"
            )
        }
    ordered = sorted(results, key=lambda r: (-r.score, r.participation.city.code))
    rows: list[RankingRow] = []
    for position, result in enumerate(ordered, start=1):
        rank = rows[-1].rank if rows and rows[-1].result.score == result.score else position
        earlier = before.get(result.participation_id)
        rows.append(
            RankingRow(
                rank=rank,
                result=result,
                score_change=None if earlier is None else result.score - earlier[0],
                grade_before=None if earlier is None else earlier[1],
            )
        )
    counts = Counter(r.grade for r in results)
    signed = [r.decision for r in results if r.decision.status in SIGNED]
    return Ranking(
        run=run,
        since=since,
        rows=rows,
        grades=[(grade, counts.get(grade, 0)) for grade in GRADES],
        remaining_total=sum((r.decision.remaining_amount for r in results), Decimal(0)),
        recommended_total=sum((r.decision.recommended_amount for r in results), Decimal(0)),
        signed_total=sum((d.final_amount or Decimal(0) for d in signed), Decimal(0)),
        signed_count=len(signed),
    )


class NotFinalised(Unavailable):
    """A decision record exists only once every decision of an official run is signed off."""


def decision_record_get(*, run: EvaluationRun) -> list[CityResult]:
    if run.kind != EvaluationRun.Kind.OFFICIAL or run.finalised_at is None:
        raise NotFinalised(
            _("a decision record is made once every decision of an official run is signed off")
        )
    return run_results_full(run=run)


@dataclass
class CityQueue:
    """A city on the dashboard: its reports awaiting review, and its periods missing (due and
    not submitted, no report opened included) and late (submitted after the due date, or still
    not submitted past it), counted by the one rule of the periods owed."""

    participation: Participation
    awaiting_review: int
    missing: int
    late: int


@dataclass
class RunTrend:
    run: EvaluationRun
    cities: int
    average: Decimal
    grades: list[tuple[str, int]]


@dataclass
class HeatRow:
    result: CityResult
    cells: list[IndicatorResult | None]


@dataclass
class Dashboard:
    programme: Programme
    today: dt.date
    queues: list[CityQueue]
    awaiting_total: int
    missing_total: int
    late_total: int
    latest_runs: list[EvaluationRun]
    latest: EvaluationRun | None
    scores: list[Decimal]
    grades: list[tuple[str, int]]
    indicators: list[Indicator]
    heat: list[HeatRow]
    trends: list[RunTrend] = field(default_factory=list)

    @property
    def awaiting_filter(self) -> str:
        """The admin list's filter of the reports awaiting the ministry's review (the same
        rule as the count: ``evaluation.selectors.reports_awaiting_ministry``)."""
        return "awaiting=ministry"


def dashboard_get(
    *, programme: Programme, today: dt.date, fetched_by: User | AnonymousUser
) -> Dashboard:
    """The programme at a glance, in a fixed number of queries whatever its size: reports
    awaiting review, and periods missing and late per city (the periods owed, as the API, the
    portal and the reminders count them: ``evaluation.selectors.programme_periods``), the
    latest runs, the latest successful run's scores and each indicator's attainment, and the
    trend across successful runs."""
    awaiting = dict(
        reports_awaiting_ministry()
        .filter(participation__programme=programme)
        .order_by()
        .values("participation_id")
        .annotate(n=Count("pk"))
        .values_list("participation_id", "n")
    )
    queues = [
        CityQueue(
            participation=participation,
            awaiting_review=awaiting.get(participation.pk, 0),
            missing=sum(1 for row in rows if row.missing),
            late=sum(1 for row in rows if row.late),
        )
        for participation, rows in programme_periods(
            programme=programme, today=today, fetched_by=fetched_by
        )
    ]
    runs = list(
        EvaluationRun.objects.filter(programme=programme)
        .select_related("ruleset")
        .order_by("-created_at", "-id")[:5]
    )
    succeeded = list(
        EvaluationRun.objects.filter(programme=programme, status=EvaluationRun.Status.SUCCEEDED)
        .order_by("created_at", "id")
        .annotate(n=Count("city_results"))
    )
    by_run: dict[int, list[tuple[Decimal, str]]] = defaultdict(list)
    for run_id, score, grade in CityResult.objects.filter(run__in=succeeded).values_list(
        "run_id", "score", "grade"
    ):
        by_run[run_id].append((score, grade))
    trends = []
    for run in succeeded:
        rows = by_run.get(run.pk, [])
        counts = Counter(grade for _, grade in rows)
        trends.append(
            RunTrend(
                run=run,
                cities=len(rows),
                average=(
                    (sum((s for s, _ in rows), Decimal(0)) / len(rows)).quantize(Decimal("0.01"))
                    if rows
                    else Decimal(0)
                ),
                grades=[(g, counts.get(g, 0)) for g in GRADES],
            )
        )
    latest = succeeded[-1] if succeeded else None
    heat: list[HeatRow] = []
    indicators: list[Indicator] = []
    if latest is not None:
        indicators = [
            rule.indicator
            for rule in latest.ruleset.rules.select_related("indicator").order_by(
                "indicator__position"
            )
        ]
        for result in (
            CityResult.objects.filter(run=latest)
            .select_related("participation__city")
            .prefetch_related(
                Prefetch(
                    "indicator_results",
                    queryset=IndicatorResult.objects.select_related("indicator"),
                )
            )
            .order_by("participation__city__code")
        ):
            items = {i.indicator_id: i for i in result.indicator_results.all()}
            heat.append(HeatRow(result=result, cells=[items.get(i.pk) for i in indicators]))
    return Dashboard(
        programme=programme,
        today=today,
        queues=queues,
        awaiting_total=sum(q.awaiting_review for q in queues),
        missing_total=sum(q.missing for q in queues),
        late_total=sum(q.late for q in queues),
        latest_runs=runs,
        latest=latest,
        scores=[row.result.score for row in heat],
        grades=trends[-1].grades if trends else [(g, 0) for g in GRADES],
        indicators=indicators,
        heat=heat,
        trends=trends,
    )


# Completeness: every city's periods ---------------------------------------------------------


@dataclass(frozen=True)
class CompletenessCell:
    """One period of one city: its state in words (the workflow table's), and whether it is
    late."""

    period: str
    state: str
    word: str
    label: str
    late: bool
    report_id: int | None


@dataclass(frozen=True)
class CompletenessRow:
    participation: Participation
    cells: list[CompletenessCell | None]
    missing: int
    late: int
    to_remind: list[str]
    last_reminder: CityReminder | None


@dataclass(frozen=True)
class Completeness:
    """Cities by periods: each cell the state of a city's period (``None`` where the city owes
    no such period: another granularity, or not started)."""

    programme: Programme
    today: dt.date
    columns: list[str]
    rows: list[CompletenessRow]
    legend: list[tuple[str, str]]
    late_only: bool = False


def completeness_get(
    *,
    programme: Programme,
    today: dt.date,
    fetched_by: User | AnonymousUser,
    late_only: bool = False,
) -> Completeness:
    """Every participating city's periods owed so far, by the one rule
    (``evaluation.selectors.programme_periods``), as a grid, with what a reminder would name
    and the city's last reminder; with ``late_only``, the cities late with a report only (a
    period missing or late: those the reviewers' to-do counts). A fixed number of queries
    whatever the number of cities and periods. Ministry reviewers only (``Forbidden``)."""
    owed = programme_periods(programme=programme, today=today, fetched_by=fetched_by)
    if late_only:
        owed = [(participation, rows) for participation, rows in owed if late_with_a_report(rows)]
    periods = {row.period for _, rows in owed for row in rows}
    # Chronological by the period's end; a month before the quarter or year it closes.
    columns = sorted(periods, key=lambda p: (p.end, -p.start.toordinal()))
    position = {period: index for index, period in enumerate(columns)}
    last: dict[int, CityReminder] = {}
    for reminder in CityReminder.objects.filter(participation__programme=programme).select_related(
        "requested_by"
    ):
        last.setdefault(reminder.participation_id, reminder)
    states: dict[str, str] = {}
    grid = []
    for participation, rows in owed:
        cells: list[CompletenessCell | None] = [None] * len(columns)
        for row in rows:
            state = row.shown_state
            states.setdefault(state, row.state_label)
            cells[position[row.period]] = CompletenessCell(
                period=row.label,
                state=state,
                word=row.state_word,
                label=row.state_label,
                late=row.late,
                report_id=row.report,
            )
        grid.append(
            CompletenessRow(
                participation=participation,
                cells=cells,
                missing=sum(1 for row in rows if row.missing),
                late=sum(1 for row in rows if row.late),
                to_remind=[row.label for row in rows if reminder_owed(row, today)],
                last_reminder=last.get(participation.pk),
            )
        )
    return Completeness(
        programme=programme,
        today=today,
        columns=[period.label for period in columns],
        rows=grid,
        legend=[(code, states[code]) for code in (NOT_DUE, *REPORT.states) if code in states],
        late_only=late_only,
    )


def document_get(*, document_id: int, fetched_by: User | AnonymousUser) -> Document:
    """A kept document, if ``fetched_by`` may see what it shows: reviewers every document; a
    city's officials the scorecards they may see."""
    document: Document = get_or_not_found(
        Document.objects.select_related("run__programme", "participation__city"), pk=document_id
    )
    if is_reviewer(fetched_by):
        return document
    if (
        document.kind == Document.Kind.SCORECARD
        and city_results_for(fetched_by)
        .filter(run_id=document.run_id, participation=document.participation)
        .exists()
    ):
        return document
    raise NotFound()
