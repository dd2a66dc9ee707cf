"""Reads for the officials' portal. Each takes ``fetched_by`` and returns typed rows; an
official reaches only the cities they are bound to (anything else is ``NotFound``). The
numbers come from the scoring core and the evaluation's own selectors, never from the pages."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.db.models import Model, Sum
from django.utils import timezone

from config.db.prepared import fetch_all_prepared
from evaluation import scoring, vocabulary, workflow
from evaluation.access import NotFound, city_results_for
from evaluation.inputs import period_closed_reason, reported_elsewhere
from evaluation.models import (
    CityResult,
    EvaluationRun,
    Evidence,
    Indicator,
    IndicatorRule,
    MetricValue,
    OfficialAssignment,
    Participation,
    Programme,
    Report,
    ReportComment,
    Ruleset,
    Target,
)
from evaluation.models.cities import City
from evaluation.reasons import reason_words
from evaluation.schedules import next_provisional_run
from evaluation.scoring import Granularity, Period, PeriodTotal, Text, rule_kind
from evaluation.scoring.needs import StillNeeded, next_evaluation_date, still_needed
from evaluation.selectors import (
    GRANULARITIES,
    current_rules_list,
    evaluation_inputs,
    open_value_returns,
    participation_periods,
    period_values,
    programme_spec,
    report_evidence,
    reports_gaps,
    returned_by_province,
    ruleset_current,
    values_a_year_earlier,
)


def official_participations(*, fetched_by: User | AnonymousUser) -> list[Participation]:
    """The cities (participations) ``fetched_by`` is an official of, in code order. Each
    carries whom it was read for, so the selectors below that are handed one of them in the
    same request take it as checked (:func:`_own`) instead of reading it again."""
    if not fetched_by.is_authenticated:
        return []
    found = list(
        Participation.objects.filter(officials__user=fetched_by)
        .select_related("programme", "city")
        .order_by("programme__code", "city__code")
    )
    for participation in found:
        participation._official_of = fetched_by.pk  # type: ignore[attr-defined]
    return found


def official_participation(*, fetched_by: User | AnonymousUser, pk: int) -> Participation:
    """One of ``fetched_by``'s own participations; any other city does not exist for them."""
    if not fetched_by.is_authenticated:
        raise NotFound()
    found = (
        Participation.objects.filter(pk=pk, officials__user=fetched_by)
        .select_related("programme", "city")
        .first()
    )
    if found is None:
        raise NotFound()
    found._official_of = fetched_by.pk  # type: ignore[attr-defined]
    return found


def _own(participation: Participation, fetched_by: User | AnonymousUser) -> Participation:
    """``participation`` as one of ``fetched_by``'s own: as it is if it was read for them by
    :func:`official_participations` or :func:`official_participation` (the portal reads the
    official's cities once per request), otherwise read again by that rule (``NotFound``)."""
    if (
        fetched_by.is_authenticated
        and getattr(participation, "_official_of", None) == fetched_by.pk
    ):
        return participation
    return official_participation(fetched_by=fetched_by, pk=participation.pk)


# Where my city stands ---------------------------------------------------------------------


@dataclass(frozen=True)
class ChartPoint:
    label: str
    actual: Decimal | None
    path: Decimal | None


@dataclass(frozen=True)
class IndicatorStanding:
    """One indicator on the city's page. What its rule kind says of it comes as texts of the
    scoring core (``target_text``, ``approved_label``, ``need_text``: the page says them with
    the ``say`` tag), never as the kind's name to compare."""

    code: str
    name: str
    unit: str
    unit_one: str
    kind_label: str
    places: int
    target: Decimal
    target_source: str
    target_source_label: str
    approved: Decimal
    pending: Decimal
    need: StillNeeded
    attainment: Decimal | None
    status: str | None
    status_label: str | None
    target_text: Text
    approved_label: Text
    need_text: Text
    chart: list[ChartPoint] = field(default_factory=list)


@dataclass(frozen=True)
class RunSummary:
    """A result the official may see: a provisional run's (for information), or a finalised
    official run's (decided: ``amount`` is the signed-off one). ``run_id`` and ``city_code``
    name its scorecard."""

    run_id: int
    city_code: str
    official: bool
    as_of: dt.date
    finished_at: dt.datetime | None
    finalised_at: dt.datetime | None
    score: Decimal
    grade: str
    grade_label: str
    amount: Decimal
    decision: str
    decision_label: str


@dataclass(frozen=True)
class ReturnedRow:
    """A report the reviewers sent back to the city: when, and what they said."""

    period: str
    returned_on: dt.datetime | None
    comment: str


@dataclass(frozen=True)
class Standing:
    participation: Participation
    next_evaluation: dt.date
    indicators: list[IndicatorStanding]
    run: RunSummary | None
    returned: list[ReturnedRow] = field(default_factory=list)
    # When the nightly provisional evaluation runs next (None: not scheduled on this server).
    next_provisional: dt.datetime | None = None


def _summary(result: CityResult) -> RunSummary:
    decision = getattr(result, "decision", None)
    amount = decision.recommended_amount if decision is not None else Decimal(0)
    decided = decision.recommended_decision if decision is not None else "withhold"
    if decision is not None and decision.final_amount is not None:
        amount, decided = decision.final_amount, decision.final_decision
    return RunSummary(
        run_id=result.run_id,
        city_code=result.participation.city.code,
        official=result.run.kind == EvaluationRun.Kind.OFFICIAL,
        as_of=result.run.as_of,
        finished_at=result.run.finished_at,
        finalised_at=result.run.finalised_at,
        score=result.score,
        grade=result.grade,
        grade_label=str(vocabulary.Grade(result.grade).label),
        amount=amount,
        decision=decided,
        decision_label=str(vocabulary.Decision(decided).label),
    )


def city_results(
    *, participation: Participation, fetched_by: User | AnonymousUser
) -> list[RunSummary]:
    """Every result of the city the official may see (the one rule,
    ``access.city_results_for``), newest first: what their scorecards show. One query."""
    participation = _own(participation, fetched_by)
    return [
        _summary(result)
        for result in city_results_for(fetched_by)
        .filter(participation=participation)
        .select_related("run", "decision", "participation__city")
        .order_by("-run__finished_at", "-run_id")
    ]


def returned_reports(*, participation: Participation) -> list[ReturnedRow]:
    """The city's reports awaiting its correction with the reviewer's comment (returned, or
    reopened), newest return first."""
    return [
        ReturnedRow(
            period=Period(year, GRANULARITIES[granularity], number).label,
            returned_on=reviewed_at,
            comment=comment,
        )
        for year, granularity, number, reviewed_at, comment in Report.objects.filter(
            participation=participation,
            status__in=workflow.REPORT.awaiting(workflow.Actor.OFFICIAL),
        )
        .exclude(review_comment="")
        .order_by("-reviewed_at", "-id")
        .values_list("year", "granularity", "number", "reviewed_at", "review_comment")
        if comment
    ]


def _latest_result(
    participation: Participation, fetched_by: User | AnonymousUser
) -> CityResult | None:
    """The city's latest result ``fetched_by`` may see, by the one rule of who sees a result
    (``access.city_results_for``): a provisional run's, or an official run's once finalised."""
    result = (
        city_results_for(fetched_by)
        .filter(participation=participation)
        .select_related("run", "decision")
        .order_by("-run__finished_at", "-run_id")
        .first()
    )
    if result is not None:
        result.participation = participation  # with its city, as read
    return result


def city_standing(
    *, participation: Participation, fetched_by: User | AnonymousUser, today: dt.date
) -> Standing:
    """For every indicator of the programme's current ruleset: the target and where it comes
    from, what has been approved, what is submitted but not yet approved (apart), what is still
    needed by the next evaluation date, and the attainment and status of the latest result
    the official may see (``_latest_result``). A fixed number of queries, whatever the number
    of periods or indicators."""
    participation = _own(participation, fetched_by)
    programme = participation.programme
    spec = programme_spec(programme=programme)
    by = next_evaluation_date(spec, [programme.midterm_as_of], today)
    rules = current_rules_list(programme=programme)
    inputs, _ = evaluation_inputs(
        programme=programme, as_of=max(by, today), participations=[participation]
    )
    city_input = inputs[0]
    committed = dict(city_input.targets)
    totals = list(city_input.totals)

    pending = dict(
        MetricValue.objects.filter(
            city_id=participation.city_id,
            status=MetricValue.Status.SUBMITTED,
            year__gt=programme.baseline_year,
        )
        .order_by()
        .values("indicator_id")
        .annotate(total=Sum("value"))
        .values_list("indicator_id", "total")
    )
    result = _latest_result(participation, fetched_by)
    # Each indicator's attainment and status in that result.
    shown: dict[int, tuple[Decimal, str]] = {}
    run: RunSummary | None = None
    if result is not None:
        shown = {
            indicator_id: (attainment, status)
            for indicator_id, attainment, status in result.indicator_results.values_list(
                "indicator_id", "attainment", "status"
            )
        }
        run = _summary(result)

    by_indicator: dict[str, list[PeriodTotal]] = defaultdict(list)
    for total in totals:
        by_indicator[total.indicator].append(total)
    rows: list[IndicatorStanding] = []
    for rule in rules:
        indicator = rule.indicator
        code = indicator.code
        kind = rule_kind(rule.kind)
        target, source = kind.target(
            rule=scoring.IndicatorRule(code, rule.kind, rule.floor, rule.weight),
            committed=committed.get(code),
            city=city_input,
        )
        places = indicator.decimal_places
        need = still_needed(
            indicator=code,
            kind=rule.kind,
            target=target,
            programme=spec,
            by=by,
            totals=by_indicator[code],
            places=places,
        )
        # What counts towards the target as the kind counts it (the total since the baseline
        # year, or the target year's figures).
        approved = need.so_far
        progress = kind.progress(target=target, need=need)
        outcome = shown.get(indicator.pk)
        rows.append(
            IndicatorStanding(
                code=code,
                name=vocabulary.indicator_name(indicator),
                unit=vocabulary.indicator_unit(indicator),
                unit_one=vocabulary.indicator_unit_one(indicator),
                kind_label=vocabulary.rule_kind_label(rule.kind),
                places=places,
                target=target,
                target_source=source.value,
                target_source_label=str(vocabulary.TargetSource(source).label),
                approved=approved,
                pending=pending.get(indicator.pk, Decimal(0)),
                need=need,
                attainment=outcome[0] if outcome is not None else None,
                status=outcome[1] if outcome is not None else None,
                status_label=(
                    str(vocabulary.IndicatorStatus(outcome[1]).label)
                    if outcome is not None
                    else None
                ),
                target_text=progress.target,
                approved_label=progress.approved,
                need_text=progress.need,
                chart=[
                    ChartPoint(str(point.year), point.actual, point.path)
                    for point in kind.path(programme=spec, target=target, totals=by_indicator[code])
                ],
            )
        )
    return Standing(
        participation=participation,
        next_evaluation=by,
        indicators=rows,
        run=run,
        returned=returned_reports(participation=participation),
        next_provisional=(None if run is not None else next_provisional_run(now=timezone.now())),
    )


@functools.cache
def _dashboard_version_sql() -> str:
    """One statement: first whether the user is an official of the participation, then for each
    source of the dashboard how many changes its history records and when the newest was.
    Every write, bulk ones and deletions included, adds a history row, so the pair moves with
    any committed change: the count even when a transaction that started earlier commits later
    (the newest date alone could miss it), the date when a database is emptied and filled again
    to the same count. Plain SQL composed once from the models' tables: built by the ORM on
    every request, it cost more than the cached page saved (docs/benchmarks.md)."""

    def table(model: type[Model]) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    def history(model: type[Model]) -> str:
        return table(model.history.model)  # type: ignore[attr-defined]

    this = f"(SELECT {{}} FROM {table(Participation)} WHERE id = %(participation)s)"
    city, programme = this.format("city_id"), this.format("programme_id")
    mine = (
        f"SELECT a.participation_id FROM {table(OfficialAssignment)} a WHERE a.user_id = %(user)s"
    )
    # The official's cities, this one among them (checked by the first part).
    theirs = f"SELECT p.{{}} FROM {table(Participation)} p WHERE p.id IN ({mine})"
    changes = "SELECT COUNT(*), MAX(h.history_date)"
    return " UNION ALL ".join(
        (
            # Whether the page may be shown at all: checked on every request, cached or not.
            f"SELECT COUNT(*), NULL FROM {table(OfficialAssignment)} a"
            " WHERE a.user_id = %(user)s AND a.participation_id = %(participation)s",
            # What the standing is built from (city_standing).
            f"{changes} FROM {history(MetricValue)} h WHERE h.city_id = {city}",
            f"{changes} FROM {history(Participation)} h WHERE h.id = %(participation)s",
            f"{changes} FROM {history(Target)} h WHERE h.participation_id = %(participation)s",
            # The reports returned to the city, with the reviewer's comment.
            f"{changes} FROM {history(Report)} h WHERE h.participation_id = %(participation)s",
            # (The programme's own history is counted with the header's programmes, below.)
            f"{changes} FROM {history(Ruleset)} h WHERE h.programme_id = {programme}",
            f"{changes} FROM {history(IndicatorRule)} h JOIN {table(Ruleset)} r"
            f" ON r.id = h.ruleset_id WHERE r.programme_id = {programme}",
            f"{changes} FROM {history(Indicator)} h",
            # The results the official may see (access.city_results_for): a finalisation
            # moves the count, since the official run's result then comes into it.
            f"SELECT COUNT(*), MAX(COALESCE(e.finalised_at, e.finished_at))"
            f" FROM {table(CityResult)} c"
            f" JOIN {table(EvaluationRun)} e ON e.id = c.run_id"
            " WHERE c.participation_id = %(participation)s AND e.status = %(succeeded)s"
            " AND (e.kind = %(provisional)s OR e.finalised_at IS NOT NULL)",
            # The header: the official's cities, their names and programmes.
            f"{changes} FROM {history(OfficialAssignment)} h WHERE h.user_id = %(user)s",
            f"{changes} FROM {history(City)} h WHERE h.id IN ({theirs.format('city_id')})",
            f"{changes} FROM {history(Programme)} h"
            f" WHERE h.id IN ({theirs.format('programme_id')})",
        )
    )


def dashboard_version(*, fetched_by: User | AnonymousUser, pk: int) -> str:
    """A word that changes whenever anything the dashboard of participation ``pk`` shows
    ``fetched_by`` changes: what :func:`city_standing` reads (the city's approved and submitted
    values, the participation and its targets, its reports (the returned ones are listed), the
    programme, its rulesets and their indicator rules, the indicators' names and units, the
    city's results the official may see) and the official's cities in the header.
    One query, so the page can be cached under it (``cities.views.dashboard``). ``NotFound``
    unless ``fetched_by`` is an official of that participation, whatever the cache holds."""
    if not fetched_by.is_authenticated:
        raise NotFound()
    found = fetch_all_prepared(
        _dashboard_version_sql(),
        {
            "user": fetched_by.pk,
            "participation": pk,
            "provisional": EvaluationRun.Kind.PROVISIONAL.value,
            "succeeded": EvaluationRun.Status.SUCCEEDED.value,
        },
    )
    if found[0][0] != 1:
        raise NotFound()
    return hashlib.sha256(repr(found).encode()).hexdigest()[:24]


# Periods ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodRow:
    """A period on the periods page. ``fillable``: the official may still fill it in or
    correct it (the workflow table says so, never the page); ``comment``: the reviewer's, when
    the report was returned to the city."""

    period: str
    state: str
    state_label: str
    due_date: dt.date
    late: bool
    report_id: int | None
    comment: str
    fillable: bool


def city_periods(
    *, participation: Participation, fetched_by: User | AnonymousUser, today: dt.date
) -> list[PeriodRow]:
    """Every period the city owes so far, newest first, with its state (missing, draft,
    submitted, returned, approved), due date and lateness; a returned report carries the
    reviewer's comment. A period whose values were all approved outside a report (an audited
    file) counts as approved, not missing."""
    participation = _own(participation, fetched_by)
    # Their own city, checked just now: asked as the system, not checked a second time.
    rows = participation_periods(participation=participation, today=today, fetched_by=None)
    out: list[PeriodRow] = []
    for row in rows:
        out.append(
            PeriodRow(
                period=row.label,
                state=row.shown_state,
                state_label=row.state_label,
                due_date=row.due_date,
                late=row.late and not workflow.REPORT.state(row.status).final,
                report_id=row.report,
                comment=row.review_comment if row.awaits_city else "",
                fillable=row.fillable,
            )
        )
    out.reverse()
    return out


# Submit several reports at once ------------------------------------------------------------


@dataclass(frozen=True)
class ReadyRow:
    """A report the official may still submit (a draft, or returned): whether it is complete,
    and else the indicators it still needs, by name."""

    period: str
    report_id: int
    state_label: str
    missing: list[str]
    empty: bool

    @property
    def complete(self) -> bool:
        return not self.missing and not self.empty


def reports_to_submit(
    *,
    participation: Participation,
    fetched_by: User | AnonymousUser,
    periods: list[Period] | None = None,
) -> list[ReadyRow]:
    """The city's reports the official may still submit (the workflow table: open to the city,
    and opened), oldest first, of ``periods`` if given; each says whether it is complete (the
    rule ``report_submit`` applies). A fixed number of queries whatever their number."""
    participation = _own(participation, fetched_by)
    reports = [
        report
        for report in Report.objects.filter(participation=participation).order_by(
            "year", "granularity", "number"
        )
        if workflow.REPORT.open_to(report.status, workflow.Actor.OFFICIAL)
        and (periods is None or report.period in periods)
    ]
    reports.sort(key=lambda report: (report.period.end, report.period.start))
    if not reports:
        return []
    gaps = reports_gaps(participation=participation, reports=reports)
    names = {
        rule.indicator.code: vocabulary.indicator_name(rule.indicator)
        for rule in ruleset_current(programme=participation.programme).rules.select_related(
            "indicator"
        )
    }
    return [
        ReadyRow(
            period=report.period.label,
            report_id=report.pk,
            state_label=workflow.REPORT.label(report.status),
            missing=[names.get(code, code) for code in gaps[report.pk].missing],
            empty=not gaps[report.pk].has_values,
        )
        for report in reports
    ]


# Enter a period ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryRow:
    code: str
    name: str
    unit: str
    places: int
    value: Decimal | None
    status: str | None
    a_year_earlier: Decimal | None
    flag: str
    # The value's files of evidence, and the reviewer's reason if the value was returned to the
    # city on its own (open: not yet sent back).
    evidence: tuple[Evidence, ...] = ()
    returned: str = ""
    # Why this value cannot change while the rest of the report can (single values of the
    # report are returned and this is not one of them); empty when it may change with the form.
    locked_reason: str = ""

    @property
    def editable(self) -> bool:
        """The value may change with the form (when the form itself may)."""
        return not self.locked_reason


@dataclass(frozen=True)
class PeriodEntry:
    """A period's form. ``editable`` and ``locked_reason`` come from the workflow table (and the
    closed-period rule); ``comment`` is the reviewer's when the report awaits the city's
    correction."""

    participation: Participation
    period: Period
    report: Report | None
    rows: list[EntryRow]
    closed_reason: str | None
    editable: bool
    locked_reason: str | None
    state_label: str
    comment: str
    review_comment: str
    answers: list[AnswerRow]
    report_evidence: tuple[Evidence, ...] = ()
    # Single values returned (open): the city may change only these (codes, and their names).
    returned_values: tuple[str, ...] = ()
    returned_names: tuple[str, ...] = ()
    # Whether the comment awaiting the city is the province's (省级复核), not the ministry's.
    comment_from_province: bool = False

    @property
    def evidence_open(self) -> bool:
        """Files may be attached or removed: the report exists and is the city's to change."""
        return self.report is not None and self.editable

    @property
    def can_answer(self) -> bool:
        """The reviewer left a comment on the report, which the official may answer."""
        return bool(self.review_comment)


@dataclass(frozen=True)
class AnswerRow:
    """A message of a report's conversation: who wrote it (by name), when, what, and whether
    the reviewer wrote it (a return comment, a reopening's reason, a note) or the city."""

    when: dt.datetime
    who: str
    text: str
    kind: str = "reply"
    kind_label: str = ""

    @property
    def from_reviewer(self) -> bool:
        return self.kind != ReportComment.Kind.REPLY


def _person(user: User | None) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


def report_answers(*, report: Report | None) -> list[AnswerRow]:
    """The answers written on ``report``, oldest first (one query)."""
    if report is None:
        return []
    return [
        AnswerRow(
            when=comment.created_at,
            who=_person(comment.author),
            text=comment.text,
            kind=comment.kind,
            kind_label=comment.get_kind_display(),
        )
        for comment in ReportComment.objects.filter(report=report).select_related("author")
    ]


def period_entry(
    *,
    participation: Participation,
    period: Period,
    fetched_by: User | AnonymousUser,
    shown: bool = True,
) -> PeriodEntry:
    """The period's form: every indicator of the ruleset with its value, the same period a
    year earlier beside it, and whether (and why not) the official may still change it.
    ``shown=False``: what a save of the form reads, not what the page shows around it (the
    figures a year earlier, the files of evidence, the answers are left out)."""
    from django.utils.translation import gettext as _

    participation = _own(participation, fetched_by)
    programme = participation.programme
    if (
        not programme.baseline_year
        <= period.year
        <= (programme.baseline_year + programme.construction_years)
    ):
        raise NotFound()
    report = Report.objects.filter(
        participation=participation,
        year=period.year,
        granularity=str(period.granularity),
        number=period.number,
    ).first()
    rules = current_rules_list(programme=programme)
    values = {
        v.indicator_id: v for v in period_values(city_id=participation.city_id, period=period)
    }
    earlier_values = (
        values_a_year_earlier(city_id=participation.city_id, period=period) if shown else {}
    )
    files = report_evidence(report_id=report.pk) if report is not None and shown else []
    returns = open_value_returns(report_id=report.pk) if report is not None else {}
    # While single values are returned, the others stay as they are (the server refuses a
    # change to them): their fields are shown read-only, saying why.
    not_returned = (
        _("Not returned to you: it stays as submitted until the reviewer has the report again.")
        if returns
        else ""
    )
    rows = []
    for rule in rules:
        indicator: Indicator = rule.indicator
        now = values.get(indicator.pk)
        earlier = earlier_values.get(indicator.pk)
        rows.append(
            EntryRow(
                code=indicator.code,
                name=vocabulary.indicator_name(indicator),
                unit=vocabulary.indicator_unit(indicator),
                places=indicator.decimal_places,
                value=now.value if now is not None else None,
                status=now.status if now is not None else None,
                a_year_earlier=earlier.value if earlier is not None else None,
                flag=now.flag if now is not None else "",
                evidence=tuple(f for f in files if now is not None and f.value_id == now.pk),
                returned=returns[now.pk].reason if now is not None and now.pk in returns else "",
                locked_reason="" if now is not None and now.pk in returns else not_returned,
            )
        )
    closed = period_closed_reason(city_id=participation.city_id, period=period)
    status = report.status if report is not None else workflow.REPORT.absent
    locked: str | None = None
    if closed is not None:
        locked = _("This period is closed: the programme's evaluation covering it is final.")
    elif report is None and (
        elsewhere := reported_elsewhere(participation=participation, periods=[period])
    ):
        locked = elsewhere[period]
    elif report is not None:
        locked = workflow.REPORT.locked_reason(status, period=period)
    elif any(r.status == MetricValue.Status.APPROVED for r in rows):
        locked = _("The figures of this period are already approved.")
    awaits_city = workflow.REPORT.state(status).awaits == workflow.Actor.OFFICIAL
    comment = report.review_comment if report is not None and awaits_city else ""
    return PeriodEntry(
        participation=participation,
        period=period,
        report=report,
        rows=rows,
        closed_reason=closed,
        editable=locked is None,
        locked_reason=locked,
        state_label=workflow.REPORT.label(status) if report is not None else "",
        comment=comment,
        comment_from_province=bool(comment) and report is not None and returned_by_province(report),
        review_comment=report.review_comment if report is not None else "",
        answers=report_answers(report=report) if shown else [],
        report_evidence=tuple(f for f in files if f.value_id is None),
        returned_values=tuple(sorted(r.value.indicator.code for r in returns.values())),
        returned_names=tuple(
            vocabulary.indicator_name(r.value.indicator)
            for r in sorted(returns.values(), key=lambda r: r.value.indicator.position)
        ),
    )


# History ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryRow:
    when: dt.datetime
    who: str
    period: str
    indicator: str
    places: int
    old: Decimal | None
    new: Decimal | None
    status: str
    reason: str


@dataclass(frozen=True)
class CommentRow:
    """A word on a report: the reviewer's (a return or a reopening, ``from_reviewer``) or an
    official's answer."""

    when: dt.datetime
    who: str
    period: str
    status: str
    comment: str
    from_reviewer: bool = True


@dataclass(frozen=True)
class History:
    """The city's history as the official reads it, filtered by period and indicator: each
    value's changes and why, newest first, the words on its reports, and the choices of the
    filters."""

    rows: list[HistoryRow]
    comments: list[CommentRow]
    periods: list[str]
    indicators: list[tuple[str, str]]
    period: str
    indicator: str
    more: bool


def value_history(
    *,
    participation: Participation,
    fetched_by: User | AnonymousUser,
    period: Period | None = None,
    indicator: str = "",
    limit: int = 500,
) -> History:
    """Each value's history (who, when, old, new, why in words), newest first, of ``period``
    and ``indicator`` if given; the reviewers' comments (returns and reopenings) and the
    officials' answers on the reports of those periods. A fixed number of queries."""
    participation = _own(participation, fetched_by)
    indicators = {i.pk: i for i in Indicator.objects.all()}
    scored = [rule.indicator for rule in current_rules_list(programme=participation.programme)]
    records = MetricValue.history.filter(city_id=participation.city_id)
    comments = Report.history.filter(participation_id=participation.pk)
    answers = ReportComment.objects.filter(report__participation_id=participation.pk)
    if period is not None:
        at = {"year": period.year, "granularity": str(period.granularity), "number": period.number}
        records = records.filter(**at)
        comments = comments.filter(**at)
        answers = answers.filter(**{f"report__{key}": value for key, value in at.items()})
    chosen = next((i for i in scored if i.code == indicator), None)
    if chosen is not None:
        records = records.filter(indicator_id=chosen.pk)
    rows: list[HistoryRow] = []
    previous: dict[int, Decimal] = {}
    for record in records.order_by("id", "history_date", "history_id").values(
        "id",
        "indicator_id",
        "year",
        "granularity",
        "number",
        "value",
        "status",
        "history_date",
        "history_user__username",
        "history_user__first_name",
        "history_user__last_name",
        "history_change_reason",
    ):
        old = previous.get(record["id"])
        new = record["value"]
        previous[record["id"]] = new
        shown = indicators[record["indicator_id"]]
        rows.append(
            HistoryRow(
                when=record["history_date"],
                who=_who(record),
                period=Period(
                    record["year"], Granularity(record["granularity"]), record["number"]
                ).label,
                indicator=vocabulary.indicator_name(shown),
                places=shown.decimal_places,
                old=old,
                new=new,
                status=record["status"],
                reason=reason_words(record["history_change_reason"]),
            )
        )
    rows.sort(key=lambda r: r.when, reverse=True)
    said = [
        CommentRow(
            when=h["history_date"],
            who=_who(h),
            period=Period(h["year"], Granularity(h["granularity"]), h["number"]).label,
            status=h["status"],
            comment=h["review_comment"],
        )
        for h in comments.filter(status__in=workflow.REPORT.awaiting(workflow.Actor.OFFICIAL))
        .exclude(review_comment="")
        .order_by("-history_date")
        .values(
            "history_date",
            "history_user__username",
            "history_user__first_name",
            "history_user__last_name",
            "year",
            "granularity",
            "number",
            "status",
            "review_comment",
        )
    ]
    # A returned report's history has one row per change while returned; keep each comment once.
    seen: set[tuple[str, str]] = set()
    unique = []
    for comment in reversed(said):
        key = (comment.period, comment.comment)
        if key not in seen:
            seen.add(key)
            unique.append(comment)
    for answer in answers.select_related("author", "report"):
        from_reviewer = answer.kind != ReportComment.Kind.REPLY
        key = (answer.report.period.label, answer.text)
        if from_reviewer and key in seen:
            continue  # the same return comment, kept on the report's history too
        seen.add(key)
        unique.append(
            CommentRow(
                when=answer.created_at,
                who=_person(answer.author),
                period=answer.report.period.label,
                status=answer.report.status,
                comment=answer.text,
                from_reviewer=from_reviewer,
            )
        )
    unique.sort(key=lambda c: c.when, reverse=True)
    periods = sorted(
        {
            Period(year, Granularity(granularity), number)
            for year, granularity, number in MetricValue.objects.filter(
                city_id=participation.city_id
            )
            .values_list("year", "granularity", "number")
            .distinct()
        },
        key=lambda p: (p.end, p.start),
        reverse=True,
    )
    return History(
        rows=rows[:limit],
        comments=unique,
        periods=[p.label for p in periods],
        indicators=[(i.code, vocabulary.indicator_name(i)) for i in scored],
        period=period.label if period is not None else "",
        indicator=chosen.code if chosen is not None else "",
        more=len(rows) > limit,
    )


def _who(record: dict[str, str]) -> str:
    """Someone by their name, from a history row's values (their user name if none given)."""
    name = " ".join(
        part
        for part in (record.get("history_user__first_name"), record.get("history_user__last_name"))
        if part
    )
    return name or record.get("history_user__username") or "—"
