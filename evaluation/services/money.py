"""A city's money beyond its sums (budget execution, 预算执行率): its planned spending per year
and its expenditure per period with the evidence, approved by reviewers like its reported
values. The expenditure's states and steps are the workflow table's
(``evaluation.workflow.EXPENDITURE``); each service checks (who asks, the period, the table,
the values' rules), then writes with its history rows in one transaction. A refused request or
file changes nothing."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from evaluation import inputs, workflow
from evaluation.access import is_reviewer, require_official_of, require_reviewer
from evaluation.exceptions import (
    FieldError,
    ImportRefused,
    Locked,
    Reason,
    RowError,
    StaleVersion,
    WorkflowError,
    reason_of,
)
from evaluation.models import Expenditure, Participation, Programme, SpendingPlan
from evaluation.scoring import Period, PeriodError
from evaluation.scoring.budget import BUDGET_INDICATOR
from evaluation.services.audit import audited_save
from evaluation.services.evidence import evidence_file_errors, evidence_file_stored
from evaluation.services.imports import ImportSummary, dry_run_end
from evaluation.services.part_files import (
    duplicate,
    participation_of_row,
    participations_of_rows,
    required,
)
from evaluation.services.races import once_more_after_a_race
from evaluation.tabular import Row, read_table

EXPENDITURE = workflow.EXPENDITURE
BUDGET_COLUMNS = ("city_code", "year", "planned")
EXPENDITURE_COLUMNS = ("city_code", "period", "amount")
EXPENDITURE_OPTIONAL_COLUMNS = ("evidence",)
EXPENDITURE_FIELDS = (
    "amount",
    "evidence",
    "evidence_file",
    "status",
    "version",
    "submitted_by",
    "submitted_at",
    "reviewed_by",
    "reviewed_at",
    "review_comment",
)


# Rules of the money, each written once ------------------------------------------------------------


def plan_year_error(*, programme: Programme, year: int) -> Reason | None:
    """A plan names a construction year of the programme."""
    first = programme.baseline_year + 1
    last = programme.baseline_year + programme.construction_years
    if first <= year <= last:
        return None
    return Reason(
        gettext(
            "%(year)s is not a construction year of programme %(programme)s (%(first)s-%(last)s)"
        )
        % {"year": year, "programme": programme.code, "first": first, "last": last},
        "not_a_construction_year",
    )


def plan_zero_error(*, city: str, total: Decimal) -> Reason | None:
    """A plan summing to 0 is an input error."""
    if total > 0:
        return None
    return Reason(
        gettext(
            "the planned spending of city %(city)s adds up to 0: a plan summing to 0 is an "
            "input error"
        )
        % {"city": city},
        "plan_sums_to_zero",
    )


def spending_period_error(*, programme: Programme, period: Period) -> Reason | None:
    """Expenditure counts from 1 January after the baseline year; a period not yet started
    has none."""
    if period.year <= programme.baseline_year:
        return Reason(
            gettext(
                "%(period)s is not after the baseline year %(baseline)s: expenditure counts from "
                "%(first)s"
            )
            % {
                "period": period,
                "baseline": programme.baseline_year,
                "first": programme.baseline_year + 1,
            },
            "before_construction",
        )
    if period.start > timezone.localdate():
        return Reason(gettext("%(period)s has not started yet") % {"period": period}, "not_started")
    return None


def _spending_figure(
    participation: Participation, period: Period, source: str = ""
) -> inputs.Figure:
    return inputs.Figure(participation.city.code, BUDGET_INDICATOR, period, source)


def _other_granularities(
    participation: Participation, year: int, besides: str
) -> list[inputs.Figure]:
    return [
        _spending_figure(participation, e.period)
        for e in Expenditure.objects.filter(participation=participation, year=year).exclude(
            granularity=besides
        )
    ]


# The plan ----------------------------------------------------------------------------------------


def _may_plan(by: User | None, participation: Participation) -> None:
    """The plan is the city's (its officials) or loaded by the ministry."""
    if by is not None and not is_reviewer(by):
        require_official_of(by, participation)


@transaction.atomic
def plan_set(
    *, participation: Participation, year: int, planned: str, by: User | None
) -> SpendingPlan:
    """The city's planned spending for ``year`` (yuan, as typed). A year closed by a finalised
    evaluation no longer changes."""
    _may_plan(by, participation)
    participation = (
        Participation.objects.select_for_update(of=("self",))
        .select_related("programme", "city")
        .get(pk=participation.pk)
    )
    errors: list[FieldError] = []
    if (why := plan_year_error(programme=participation.programme, year=year)) is not None:
        errors.append(FieldError("year", why))
    amount: Decimal | None = None
    try:
        amount = inputs.parse_number(planned, places=2, limit=inputs.MAX_AMOUNT)
    except ValueError as exc:
        errors.append(FieldError("planned", reason_of(exc)))
    if errors:
        raise WorkflowError(errors)
    assert amount is not None
    row = SpendingPlan.objects.filter(participation=participation, year=year).first()
    if row is not None and row.planned == amount:
        return row
    closed = inputs.period_closed_reason(
        city_id=participation.city_id, period=Period.parse(str(year))
    )
    if closed is not None:
        raise Locked(closed)
    others = sum(
        (
            p.planned
            for p in SpendingPlan.objects.filter(participation=participation).exclude(year=year)
        ),
        Decimal(0),
    )
    if (why := plan_zero_error(city=participation.city.code, total=others + amount)) is not None:
        raise WorkflowError([FieldError("planned", why)])
    row = row or SpendingPlan(participation=participation, year=year)
    row.planned = amount
    return audited_save(row, by=by, reason="planned spending set")


@transaction.atomic
def budget_import(
    *, name: str, data: bytes, programme: Programme, by: User | None, dry_run: bool = False
) -> ImportSummary:
    """Load a budget plan file (``city_code``, ``year``, ``planned``): each city's planned
    spending per construction year, in yuan. All or nothing."""
    if by is not None:
        require_reviewer(by)
    rows, errors = read_table(name, data, required=BUDGET_COLUMNS)
    participations = participations_of_rows(programme, rows)
    stored = {
        (p.participation_id, p.year): p
        for p in SpendingPlan.objects.filter(participation__programme=programme)
    }
    closed = inputs.ClosedPeriods({p.city_id for p in participations.values()})
    seen: dict[tuple[str, int], int] = {}
    good: list[tuple[Row, Participation, int, Decimal]] = []
    for row in rows:
        row_errors: list[RowError] = []
        participation = participation_of_row(row, participations, programme, row_errors)
        year: int | None = None
        text = required(row, "year", row_errors)
        if text:
            if text.isdigit() and len(text) == 4:
                year = int(text)
                if (why := plan_year_error(programme=programme, year=year)) is not None:
                    row_errors.append(RowError(row.line, "year", why))
                    year = None
            else:
                row_errors.append(
                    RowError(
                        row.line,
                        "year",
                        Reason(gettext("%(text)r is not a year") % {"text": text}, "not_a_year"),
                    )
                )
        amount: Decimal | None = None
        try:
            amount = inputs.parse_number(
                row.values.get("planned", ""), places=2, limit=inputs.MAX_AMOUNT
            )
        except ValueError as exc:
            row_errors.append(RowError(row.line, "planned", reason_of(exc)))
        if participation is not None and year is not None:
            key = (participation.city.code, year)
            if key in seen:
                row_errors.append(duplicate(row, seen[key], f"{key[0]} {year}"))
            seen.setdefault(key, row.line)
            current = stored.get((participation.pk, year))
            changes = current is None or current.planned != amount
            shut = closed.reason(city_id=participation.city_id, period=Period.parse(str(year)))
            if changes and shut is not None:
                row_errors.append(RowError(row.line, "year", shut))
        errors += row_errors
        if not row_errors and participation is not None and year is not None:
            assert amount is not None
            good.append((row, participation, year, amount))
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for (pk, _year), kept in stored.items():
        totals[pk] += kept.planned
    first_line: dict[int, int] = {}
    for row, participation, year, amount in good:
        current = stored.get((participation.pk, year))
        totals[participation.pk] += amount - (current.planned if current else 0)
        first_line.setdefault(participation.pk, row.line)
    for row, participation, _year, _amount in good:
        if first_line[participation.pk] != row.line:
            continue
        why = plan_zero_error(city=participation.city.code, total=totals[participation.pk])
        if why is not None:
            errors.append(RowError(row.line, "planned", why))
    if errors:
        raise ImportRefused(name, errors)
    reason = f"import_budget {name} --programme {programme.code}"
    summary = ImportSummary()
    for _row, participation, year, amount in good:
        current = stored.get((participation.pk, year))
        if current is not None and current.planned == amount:
            summary.unchanged += 1
            continue
        plan = current or SpendingPlan(participation=participation, year=year)
        plan.planned = amount
        audited_save(plan, by=by, reason=reason)
        if current is None:
            summary.created += 1
        else:
            summary.updated += 1
    summary.dry_run = dry_run
    dry_run_end(dry_run)
    return summary


# Expenditure: the city's steps ---------------------------------------------------------------


class StaleExpenditure(StaleVersion):
    """The change is based on a version of the expenditure that has moved on since."""

    def __init__(self, expenditure: Expenditure, given: int) -> None:
        WorkflowError.__init__(
            self,
            [
                FieldError(
                    "version",
                    gettext(
                        "the expenditure has changed since version %(given)s: it is now version "
                        "%(version)s; reload it and apply your change again"
                    )
                    % {"given": given, "version": expenditure.version},
                    "stale_version",
                )
            ],
        )


def _locked(expenditure: Expenditure) -> Expenditure:
    return (
        Expenditure.objects.select_for_update(of=("self",))
        .select_related("participation__programme", "participation__city")
        .get(pk=expenditure.pk)
    )


def _raise(refusal: workflow.Refusal) -> None:
    if refusal.locked:
        raise Locked(refusal.reason, refusal.code)
    raise WorkflowError([FieldError(refusal.field, refusal.reason, refusal.code)])


def _check_step(
    participation: Participation, period: Period, status: str, step: str, *, by: User
) -> bool:
    """Whether ``by`` may take ``step`` on the expenditure of ``period`` (in ``status``) now,
    by the workflow table; True when it has already been taken."""
    chosen = EXPENDITURE.step(step)
    if chosen.actor == workflow.Actor.OFFICIAL:
        require_official_of(by, participation)
    else:
        require_reviewer(by)
    if EXPENDITURE.is_done(step, status):
        return True
    if chosen.open_period:
        closed = inputs.period_closed_reason(city_id=participation.city_id, period=period)
        if closed is not None:
            raise Locked(closed)
    refusal = EXPENDITURE.refusal(step, status, period=period)
    if refusal is not None:
        _raise(refusal)
    return False


def _record(expenditure: Expenditure, *, by: User | None, reason: str) -> Expenditure:
    expenditure.version += 1
    return audited_save(expenditure, by=by, reason=reason)


@transaction.atomic
@once_more_after_a_race
def expenditure_save(
    *,
    participation: Participation,
    period: Period,
    amount: str,
    evidence: str,
    by: User,
    version: int | None = None,
    evidence_file: UploadedFile | None = None,
) -> Expenditure:
    """The city's expenditure of ``period`` (yuan, as typed) with its evidence, saved as a
    draft (a new one, or a draft or returned one changed). Based on ``version``: a change to
    one that moved on since is refused; saving what it already holds changes nothing."""
    participation = Participation.objects.select_related("programme", "city").get(
        pk=participation.pk
    )
    existing = (
        Expenditure.objects.select_for_update(of=("self",))
        .filter(
            participation=participation,
            year=period.year,
            granularity=str(period.granularity),
            number=period.number,
        )
        .first()
    )
    status = existing.status if existing is not None else workflow.EXPENDITURE.absent
    _check_step(participation, period, status, "edit", by=by)
    errors: list[FieldError] = []
    if (why := spending_period_error(programme=participation.programme, period=period)) is not None:
        errors.append(FieldError("period", why))
    value: Decimal | None = None
    try:
        value = inputs.parse_number(amount.strip(), places=2, limit=inputs.MAX_AMOUNT)
    except ValueError as exc:
        errors.append(FieldError("amount", reason_of(exc)))
    errors += [
        FieldError("period", why)
        for why in inputs.mixed_granularity(
            [_spending_figure(participation, period, gettext("this period"))],
            _other_granularities(participation, period.year, str(period.granularity)),
            sources=gettext("the expenditure of"),
        ).values()
    ]
    checked, refused = evidence_file_errors(evidence_file)
    errors += refused
    if errors:
        raise WorkflowError(errors)
    assert value is not None
    evidence = evidence.strip()
    if (
        existing is not None
        and (existing.amount, existing.evidence) == (value, evidence)
        and evidence_file is None
    ):
        return existing
    if existing is not None and version is not None and version != existing.version:
        raise StaleExpenditure(existing, version)
    made = existing or Expenditure(
        participation=participation,
        year=period.year,
        granularity=str(period.granularity),
        number=period.number,
        created_by=by,
    )
    made.amount, made.evidence = value, evidence
    if checked is not None:
        made.evidence_file.save(*evidence_file_stored(checked), save=False)
    made.submitted_by = by
    if existing is None:
        return audited_save(made, by=by, reason="expenditure entered")
    return _record(made, by=by, reason="expenditure changed")


@transaction.atomic
def expenditure_submit(*, expenditure: Expenditure, by: User) -> Expenditure:
    """Send the expenditure for review: with its evidence (a description or a file)."""
    expenditure = _locked(expenditure)
    if _check_step(
        expenditure.participation, expenditure.period, expenditure.status, "submit", by=by
    ):
        return expenditure
    if not expenditure.evidence.strip() and not expenditure.evidence_file:
        raise WorkflowError(
            [
                FieldError(
                    "evidence",
                    gettext(
                        "say what proves the spending (vouchers, contracts, payment orders), "
                        "or attach a file, before submitting it"
                    ),
                    "evidence_required",
                )
            ]
        )
    expenditure.status = EXPENDITURE.target_of("submit")
    expenditure.submitted_by, expenditure.submitted_at = by, timezone.now()
    return _record(expenditure, by=by, reason="submitted")


# Expenditure: the reviewers' steps -------------------------------------------------------------


@transaction.atomic
def expenditure_approve(*, expenditure: Expenditure, by: User) -> Expenditure:
    expenditure = _locked(expenditure)
    if _check_step(
        expenditure.participation, expenditure.period, expenditure.status, "approve", by=by
    ):
        return expenditure
    expenditure.status = EXPENDITURE.target_of("approve")
    expenditure.reviewed_by, expenditure.reviewed_at = by, timezone.now()
    return _record(expenditure, by=by, reason="approved")


def _with_text(expenditure: Expenditure, step: str, text: str, *, by: User) -> Expenditure:
    expenditure = _locked(expenditure)
    _check_step(expenditure.participation, expenditure.period, expenditure.status, step, by=by)
    missing = EXPENDITURE.missing(step, text)
    if missing is not None:
        raise WorkflowError([FieldError(missing.field, missing.reason, missing.code)])
    expenditure.status = EXPENDITURE.target_of(step)
    expenditure.reviewed_by, expenditure.reviewed_at = by, timezone.now()
    expenditure.review_comment = text.strip()
    return _record(expenditure, by=by, reason=f"{step}: {text.strip()}")


@transaction.atomic
def expenditure_return(*, expenditure: Expenditure, comment: str, by: User) -> Expenditure:
    """Back to the city with what to fix."""
    return _with_text(expenditure, "return", comment, by=by)


@transaction.atomic
def expenditure_reopen(*, expenditure: Expenditure, reason: str, by: User) -> Expenditure:
    """An approved expenditure back to the city, with the reason; it stops counting until
    approved again."""
    return _with_text(expenditure, "reopen", reason, by=by)


# Expenditure: files -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Spent:
    row: Row
    participation: Participation
    period: Period
    amount: Decimal
    evidence: str


@transaction.atomic
def expenditure_import(
    *,
    name: str,
    data: bytes,
    programme: Programme,
    approve: bool,
    by: User | None,
    dry_run: bool = False,
) -> ImportSummary:
    """Load an expenditure file (``city_code``, ``period``, ``amount``, and an optional
    ``evidence``): submitted, awaiting review, or with ``approve`` approved by the ministry
    (audited historical data). As for the values: an approved record changes only through an
    approved load, one the city is still working on changes through the city, a closed period
    not at all, and a year has one granularity. All or nothing."""
    if by is not None:
        require_reviewer(by)
    rows, errors = read_table(
        name, data, required=EXPENDITURE_COLUMNS, optional=EXPENDITURE_OPTIONAL_COLUMNS
    )
    participations = participations_of_rows(programme, rows)
    stored = {
        (e.participation_id, e.year, e.granularity, e.number): e
        for e in Expenditure.objects.filter(participation__programme=programme).select_related(
            "participation__city"
        )
    }
    closed = inputs.ClosedPeriods({p.city_id for p in participations.values()})
    seen: dict[tuple[str, str], int] = {}
    good: list[_Spent] = []
    for row in rows:
        row_errors: list[RowError] = []
        participation = participation_of_row(row, participations, programme, row_errors)
        period: Period | None = None
        text = required(row, "period", row_errors)
        if text:
            try:
                period = Period.parse(text)
            except PeriodError:
                row_errors.append(RowError(row.line, "period", inputs.period_error(text)))
        if (
            period is not None
            and (why := spending_period_error(programme=programme, period=period)) is not None
        ):
            row_errors.append(RowError(row.line, "period", why))
            period = None
        amount: Decimal | None = None
        try:
            amount = inputs.parse_number(
                row.values.get("amount", ""), places=2, limit=inputs.MAX_AMOUNT
            )
        except ValueError as exc:
            row_errors.append(RowError(row.line, "amount", reason_of(exc)))
        if participation is not None and period is not None:
            key = (participation.city.code, period.label)
            if key in seen:
                row_errors.append(duplicate(row, seen[key], " ".join(key)))
            seen.setdefault(key, row.line)
        errors += row_errors
        if not row_errors and participation is not None and period is not None:
            assert amount is not None
            good.append(_Spent(row, participation, period, amount, row.values.get("evidence", "")))
    new = [_spending_figure(s.participation, s.period, str(s.row.line)) for s in good]
    lines = {figure: s.row.line for figure, s in zip(new, good, strict=True)}
    kept = [_spending_figure(e.participation, e.period) for e in stored.values()]
    errors += [
        RowError(lines[figure], "period", why)
        for figure, why in inputs.mixed_granularity(new, kept).items()
    ]
    for spent in good:
        current = stored.get(_key(spent))
        changes = (
            current is None or current.amount != spent.amount or (approve and not _counts(current))
        )
        if not changes:
            continue
        shut = closed.reason(city_id=spent.participation.city_id, period=spent.period)
        if shut is not None:
            errors.append(RowError(spent.row.line, "period", shut))
        elif current is not None and EXPENDITURE.open_to(current.status, workflow.Actor.OFFICIAL):
            errors.append(
                RowError(
                    spent.row.line,
                    "amount",
                    Reason(
                        gettext(
                            "the city is working on its expenditure of %(period)s (it is "
                            "%(status)s): it changes through the city"
                        )
                        % {"period": spent.period, "status": EXPENDITURE.word(current.status)},
                        "expenditure_with_the_city",
                    ),
                )
            )
        elif (
            not approve
            and current is not None
            and _counts(current)
            and current.amount != spent.amount
        ):
            errors.append(
                RowError(
                    spent.row.line,
                    "amount",
                    Reason(
                        gettext(
                            "%(amount)s would change the approved %(approved)s; only an approved "
                            "load (--approve) may change an approved amount"
                        )
                        % {"amount": spent.amount, "approved": current.amount},
                        "approved_changes_by_approved_load",
                    ),
                )
            )
    if errors:
        raise ImportRefused(name, errors)
    reason = f"import_expenditure {name}" + (" --approve" if approve else "")
    now = timezone.now()
    summary = ImportSummary()
    for spent in good:
        current = stored.get(_key(spent))
        status = EXPENDITURE.target_of("approve" if approve else "submit")
        if (
            current is not None
            and current.amount == spent.amount
            and (not approve or _counts(current))
        ):
            summary.unchanged += 1
            continue
        made = current or Expenditure(
            participation=spent.participation,
            year=spent.period.year,
            granularity=str(spent.period.granularity),
            number=spent.period.number,
            created_by=by,
        )
        made.amount = spent.amount
        made.evidence = spent.evidence or made.evidence or reason
        made.status = status
        made.submitted_by, made.submitted_at = by, made.submitted_at or now
        if approve:
            made.reviewed_by, made.reviewed_at = by, now
        if current is None:
            summary.created += 1
            audited_save(made, by=by, reason=reason)
        else:
            summary.updated += 1
            _record(made, by=by, reason=reason)
    summary.dry_run = dry_run
    dry_run_end(dry_run)
    return summary


def _counts(expenditure: Expenditure) -> bool:
    """Approved: it counts in an evaluation, and only an approved load changes it."""
    return EXPENDITURE.state(expenditure.status).final


def _key(spent: _Spent) -> tuple[int, int, str, int]:
    period = spent.period
    return (spent.participation.pk, period.year, str(period.granularity), period.number)


@transaction.atomic
def expenditure_upload(
    *, participation: Participation, name: str, data: bytes, by: User, dry_run: bool = False
) -> ImportSummary:
    """The city's officials load a filled expenditure template (or CSV: ``city_code``,
    ``period``, ``amount``, ``evidence``) into draft expenditure of their own city, each row
    through ``expenditure_save``: all or nothing, every bad row named."""
    require_official_of(by, participation)
    rows, errors = read_table(
        name, data, required=EXPENDITURE_COLUMNS, optional=EXPENDITURE_OPTIONAL_COLUMNS
    )
    city = participation.city.code
    summary = ImportSummary()
    seen: dict[str, int] = {}
    for row in rows:
        row_errors: list[RowError] = []
        code = required(row, "city_code", row_errors)
        if code and code != city:
            row_errors.append(
                RowError(
                    row.line,
                    "city_code",
                    Reason(
                        gettext("%(code)s is not this city (%(city)s)")
                        % {"code": code, "city": city},
                        "another_city",
                    ),
                )
            )
        text = required(row, "period", row_errors)
        period: Period | None = None
        if text:
            try:
                period = Period.parse(text)
            except PeriodError:
                row_errors.append(RowError(row.line, "period", inputs.period_error(text)))
        if period is not None:
            if period.label in seen:
                row_errors.append(duplicate(row, seen[period.label], period.label))
            seen.setdefault(period.label, row.line)
        if row_errors or period is None:
            errors += row_errors
            continue
        before = Expenditure.objects.filter(
            participation=participation,
            year=period.year,
            granularity=str(period.granularity),
            number=period.number,
        ).first()
        try:
            with transaction.atomic():
                saved = expenditure_save(
                    participation=participation,
                    period=period,
                    amount=row.values.get("amount", ""),
                    evidence=row.values.get("evidence", "") or (before.evidence if before else ""),
                    by=by,
                )
        except WorkflowError as exc:
            errors += [
                RowError(row.line, e.field if e.field in EXPENDITURE_COLUMNS else None, e.reason)
                for e in exc.errors
            ]
            continue
        if before is None:
            summary.created += 1
        elif saved.version != before.version:
            summary.updated += 1
        else:
            summary.unchanged += 1
    if errors:
        raise ImportRefused(name, errors)
    summary.dry_run = dry_run
    dry_run_end(dry_run)
    return summary
