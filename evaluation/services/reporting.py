"""The reporting workflow: an official fills in a period's report and submits it; a reviewer
approves it, or returns it with a comment; an approved report is locked until a reviewer
reopens it with a reason. Which step may be taken from which state, by whom, and why not, is
the workflow table (``evaluation.workflow.REPORT``); each service here checks (who asks, the
period, the table), then writes, with its history rows and the acting user, in one transaction.
A refused request changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from evaluation import inputs, quality, selectors, workflow
from evaluation.access import require_official_of, require_province_of, require_reviewer
from evaluation.exceptions import (
    FieldError,
    ImportRefused,
    Locked,
    NoRuleset,
    Reason,
    RowError,
    StaleVersion,
    WorkflowError,
    reason_of,
)
from evaluation.mail import mail_send
from evaluation.models import (
    Indicator,
    IndicatorRule,
    MetricValue,
    Participation,
    ProvincialOpinion,
    Report,
    ReportComment,
    ValueReturn,
)
from evaluation.models.cities import City
from evaluation.reasons import history_reason
from evaluation.scoring import Period, rule_kind
from evaluation.services.audit import (
    audited_bulk_create,
    audited_bulk_update,
    audited_save,
    fields_clean,
)
from evaluation.services.imports import (
    METRIC_COLUMNS,
    METRIC_OPTIONAL_COLUMNS,
    ParsedMetric,
    dry_run_end,
    mixed_granularity_errors,
    parse_metric_rows,
)
from evaluation.services.outbox import outbox_enqueue
from evaluation.services.races import once_more_after_a_race
from evaluation.tabular import UploadLimits, read_table, upload_limits

REPORT = workflow.REPORT

# What a value's change writes; the history rows record each of these.
VALUE_FIELDS = (
    "report",
    "value",
    "status",
    "flags",
    "submitted_by",
    "submitted_at",
    "approved_by",
    "approved_at",
)


def _locked_report(report: Report) -> Report:
    """The report, locked for this transaction, with what its checks read (only the report's
    row is locked: locking its participation too, as a join does by default, met an upload's
    lock on it the other way round, ``city_reports_lock``)."""
    return (
        Report.objects.select_for_update(of=("self",))
        .select_related("participation__programme", "participation__city")
        .get(pk=report.pk)
    )


def _check_step(report: Report, step: str, *, by: User) -> bool:
    """Whether ``by`` may take ``step`` on ``report`` now, by the workflow table: who may take
    it (the city's officials, or reviewers), its period still open if the step needs it, and
    the report's state. Raises the refusal; returns True when the step has already been taken
    (asking again changes nothing)."""
    chosen = REPORT.step(step)
    if chosen.actor == workflow.Actor.OFFICIAL:
        require_official_of(by, report.participation)
    elif chosen.actor == workflow.Actor.PROVINCE:
        require_province_of(by, report.participation)
    else:
        require_reviewer(by)
    return _check_state(
        report,
        step,
        closed=lambda: inputs.period_closed_reason(
            city_id=report.participation.city_id, period=report.period
        ),
    )


def _check_state(report: Report, step: str, *, closed: Callable[[], str | None]) -> bool:
    """``_check_step`` once the person is known to be one who may take it: the period still
    open if the step needs it (``closed`` gives the reason it is not, if any) and the report's
    state. Raises the refusal; True when the step has already been taken."""
    if REPORT.is_done(step, report.status):
        return True
    if REPORT.step(step).open_period:
        why = closed()
        if why is not None:
            raise Locked(why)
    refusal = REPORT.refusal(
        step,
        report.status,
        provincial=report.participation.programme.provincial_review,
        period=report.period,
    )
    if refusal is not None:
        _raise(refusal)
    return False


def _raise(refusal: workflow.Refusal) -> None:
    if refusal.locked:
        raise Locked(refusal.reason, refusal.code)
    raise WorkflowError([FieldError(refusal.field, refusal.reason, refusal.code)])


def _move_values(
    report: Report, values: list[MetricValue], *, by: User, reason: str, **fields: object
) -> None:
    """The report's values follow it into its new state (the table says which status they
    take), each with its history row."""
    status = REPORT.state(report.status).values
    for value in values:
        value.report = report
        value.status = status
        for name, content in fields.items():
            setattr(value, name, content)
    audited_bulk_update(values, MetricValue, VALUE_FIELDS, by=by, reason=reason)


def _period_values(report: Report) -> tuple[list[MetricValue], list[MetricValue]]:
    """The period's values, locked: all of them, and the report's own, which move with it. A
    value already approved outside the report (an audited file) is the period's but not the
    report's: it counts towards a complete report and stays as it is, whatever the report
    goes through."""
    values = selectors.period_values(
        city_id=report.participation.city_id, period=report.period, lock=True
    )
    own = [v for v in values if v.report_id == report.pk or v.status != MetricValue.Status.APPROVED]
    return values, own


def _record(report: Report, *, by: User | None, reason: str) -> Report:
    """A step on a report the caller read locked (``_locked_report``): its keys unchanged, its
    state set by the workflow table, so only its fields are checked here (``clean="fields"``);
    the database holds the report's constraints."""
    report.version += 1
    return audited_save(report, by=by, reason=reason, clean="fields")


# Open a report -----------------------------------------------------------------------------------


@transaction.atomic
@once_more_after_a_race
def report_create(*, participation: Participation, period: Period, by: User) -> Report:
    """Open the report of ``period``; asking again for the same period returns the same one."""
    require_official_of(by, participation)
    existing = selectors.report_of_period(participation=participation, period=period)
    if existing is not None:
        return existing
    # Opened after an upload opening the same period (or another request opening it) has
    # committed, and before a later one reads the city's reports: read again once locked.
    city_reports_lock(participation)
    return _report_open(participation=participation, period=period, by=by)


def city_reports_lock(participation: Participation) -> None:
    """Reports of one city are opened one request at a time, whichever of its batches they
    belong to (a city reports a period once, in one batch): the city's row is locked until the
    caller's transaction ends (``FOR NO KEY UPDATE``, so rows pointing at it are still written
    meanwhile, and a step on a report, which locks only the report, is not held up). Without
    it, an upload and a form save opening the same new period at the same moment both found it
    unopened, and the later insert met the one report a period constraint as a server error
    (so did two batches' officials opening the same period: the later one now reads the
    report the other batch opened and is told so). Taken before any report of the city is
    locked in the transaction."""
    # The city's row alone (``of``, and no ordering that would join other tables, whose rows
    # a lock would take too: a programme's row is every city's).
    list(
        City.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk=participation.city_id)
        .order_by()
        .values_list("pk", flat=True)
    )


def _report_open(*, participation: Participation, period: Period, by: User) -> Report:
    existing = selectors.report_of_period(participation=participation, period=period)
    if existing is not None:
        return existing
    closed = inputs.period_closed_reason(city_id=participation.city_id, period=period)
    if closed is not None:
        raise Locked(closed)
    programme = participation.programme
    errors = [
        FieldError("period", why)
        for why in inputs.reported_elsewhere(participation=participation, periods=[period]).values()
    ]
    if (before := inputs.before_baseline_error(programme=programme, period=period)) is not None:
        errors.append(FieldError("period", before))
    if early := inputs.period_not_ended_error(period=period, today=timezone.localdate()):
        errors.append(FieldError("period", early))
    city = participation.city.code
    others = [
        inputs.Figure(city, None, other)
        for other in selectors.report_periods_of_year(
            city_id=participation.city_id, year=period.year, besides=period
        )
    ]
    errors += [
        FieldError("period", why)
        for why in inputs.mixed_granularity([inputs.Figure(city, None, period)], others).values()
    ]
    if errors:
        raise WorkflowError(errors)
    # Every constraint is a check above (one report a period and city, a valid period) or a key
    # the service sets from rows it read (the participation, its city, the person): only the
    # fields are checked again (``fields_clean``).
    # Opened meanwhile by another request (a second click, a retried call, another batch of
    # the city): the database keeps one report a period, and ``report_create`` is asked again.
    return audited_save(
        _new_report(participation, period, by=by),
        by=by,
        reason=history_reason("report_created"),
        clean="fields",
    )


def _new_report(participation: Participation, period: Period, *, by: User) -> Report:
    """A report of ``period`` as the city opens it (not saved)."""
    return Report(
        participation=participation,
        city_id=participation.city_id,
        year=period.year,
        granularity=str(period.granularity),
        number=period.number,
        due_date=inputs.due_date(programme=participation.programme, period=period),
        created_by=by,
    )


# Fill it in ----------------------------------------------------------------------------------


@dataclass
class ValuesPlan:
    """What setting a report's values would do, once every check has passed: the values to
    create and to change (each with its flags), or nothing at all."""

    report: Report
    to_create: list[MetricValue] = field(default_factory=list)
    to_update: list[MetricValue] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        return bool(self.to_create or self.to_update)


def _parse_values(
    values: Mapping[str, str], rules: Mapping[str, IndicatorRule], programme: str
) -> tuple[dict[str, Decimal], list[FieldError]]:
    errors: list[FieldError] = []
    parsed: dict[str, Decimal] = {}
    for code, text in values.items():
        name = f"values.{code}"
        rule = rules.get(code)
        if rule is None:
            known = Indicator.objects.filter(code=code).exists()
            errors.append(
                FieldError(
                    name,
                    gettext("indicator %(code)s is not scored in programme %(programme)s")
                    % {"code": code, "programme": programme}
                    if known
                    else gettext("unknown indicator %(code)r") % {"code": code},
                    "not_scored" if known else "unknown_indicator",
                )
            )
            continue
        try:
            parsed[code] = inputs.parse_number(
                str(text).strip(), places=rule.indicator.decimal_places
            )
        except ValueError as exc:
            errors.append(FieldError(name, reason_of(exc)))
    if not values:
        errors.append(
            FieldError("values", gettext("give at least one indicator's value"), "no_values")
        )
    return parsed, errors


def report_values_check(
    *, report: Report, values: Mapping[str, str], version: int, by: User
) -> ValuesPlan:
    """Every check of setting ``values`` (``{indicator: value}``) on ``report``, which the
    caller has locked: who asks, the period, the report's state, each value, one granularity a
    year, approved values untouched, the version. Returns the plan, or raises every refusal."""
    participation = report.participation
    _check_step(report, "edit", by=by)
    rules = selectors.ruleset_rules(programme=participation.programme)
    parsed, errors = _parse_values(values, rules, participation.programme.code)
    city = participation.city.code
    stored = [
        inputs.Figure(city, code, period)
        for code, period in selectors.value_periods_of_year(
            city_id=participation.city_id,
            indicators=list(parsed),
            year=report.year,
            besides=report.period.granularity,
        )
    ]
    asked = [inputs.Figure(city, code, report.period) for code in parsed]
    errors += [
        FieldError(f"values.{figure.indicator}", why)
        for figure, why in inputs.mixed_granularity(asked, stored).items()
    ]
    if errors:
        raise WorkflowError(errors)

    current = {
        v.indicator.code: v
        for v in selectors.period_values(
            city_id=participation.city_id, period=report.period, lock=True
        )
    }
    returned = (
        selectors.open_value_returns(report_id=report.pk) if _changed(parsed, current) else {}
    )
    return _values_plan(
        report,
        parsed,
        current=current,
        returned=returned,
        rules=rules,
        version=version,
        by=by,
        now=timezone.now(),
    )


def _changed(parsed: Mapping[str, Decimal], current: Mapping[str, MetricValue]) -> list[str]:
    """The indicators whose value ``parsed`` changes (or adds)."""
    return [code for code in parsed if code not in current or current[code].value != parsed[code]]


def _values_plan(
    report: Report,
    parsed: Mapping[str, Decimal],
    *,
    current: Mapping[str, MetricValue],
    returned: Mapping[int, ValueReturn],
    rules: Mapping[str, IndicatorRule],
    version: int,
    by: User,
    now: dt.datetime,
) -> ValuesPlan:
    """The rest of ``report_values_check``, from what it read: approved values untouched, only
    the values a reviewer returned one by one changed while there are such, the version, and
    each value to create or change with its flags. Reads nothing."""
    for code, value in current.items():
        if code in parsed and value.status == MetricValue.Status.APPROVED:
            raise Locked(
                Reason(
                    gettext(
                        "%(code)s for %(period)s is already approved (value %(value)s); a "
                        "reviewer must reopen it first"
                    )
                    % {"code": code, "period": report.period, "value": value.value},
                    "value_approved",
                )
            )
    changed = _changed(parsed, current)
    refused = sorted(
        code
        for code in changed
        if returned and (code not in current or current[code].pk not in returned)
    )
    if refused:
        raise Locked(
            Reason(
                gettext(
                    "the reviewer returned single values of this report: only those may change "
                    "(%(codes)s), not %(refused)s"
                )
                % {
                    "codes": ", ".join(sorted(r.value.indicator.code for r in returned.values())),
                    "refused": ", ".join(refused),
                },
                "value_not_returned",
            )
        )
    plan = ValuesPlan(report)
    if not changed:
        return plan
    if version != report.version:
        raise StaleVersion(report, version)
    for code in changed:
        existing = current.get(code)
        flags = []
        if (
            existing is not None
            and report.submitted_at is not None
            and rule_kind(rules[code].kind).running_total
            and parsed[code] < existing.value
        ):
            flags.append(
                quality.running_total_fell(
                    period=report.period, old=existing.value, new=parsed[code]
                )
            )
        if existing is None:
            existing = MetricValue(
                city_id=report.city_id,
                indicator=rules[code].indicator,
                year=report.year,
                granularity=report.granularity,
                number=report.number,
            )
            plan.to_create.append(existing)
        else:
            plan.to_update.append(existing)
        existing.report = report
        existing.value = parsed[code]
        existing.status = MetricValue.Status.DRAFT
        existing.flags = flags
        existing.submitted_by, existing.submitted_at = by, now
    return plan


@transaction.atomic
def report_values_set(
    *, report: Report, values: Mapping[str, str], version: int, by: User
) -> Report:
    """Create or update the values of a draft (or returned) report, ``{indicator: value}``.

    Based on ``version``: a change to a report that has moved on since is refused
    (``StaleVersion``). Sending values the report already holds changes nothing and is
    accepted whatever the version, so repeating a request is harmless."""
    report = _locked_report(report)
    plan = report_values_check(report=report, values=values, version=version, by=by)
    _plans_write([plan], by=by)
    return report


def _plans_write(plans: list[ValuesPlan], *, by: User) -> int:
    """Write what the plans say, for one report (a save) or many (an upload) alike: each
    report's new and changed values, then its version, every row with its history row and
    ledger entry naming the report whose values were set. A plan without changes writes
    nothing. Returns how many reports changed."""
    changing = [plan for plan in plans if plan.changes]
    reasons = {
        plan.report.pk: history_reason("report_values_set", report=plan.report.pk)
        for plan in changing
    }
    created = [value for plan in changing for value in plan.to_create]
    # Built from the locked reports and the checked figures: each field checked, the keys and
    # the constraints left to the database (``fields_clean``: 11 queries a value otherwise).
    for value in created:
        fields_clean(value)
    audited_bulk_create(created, MetricValue, by=by, reason=lambda value: reasons[value.report_id])
    audited_bulk_update(
        [value for plan in changing for value in plan.to_update],
        MetricValue,
        VALUE_FIELDS,
        by=by,
        reason=lambda value: reasons[value.report_id],
    )
    touched = [plan.report for plan in changing]
    for report in touched:
        report.version += 1  # as ``_record`` does for a single step
        fields_clean(report)
    audited_bulk_update(
        touched, Report, ["version"], by=by, reason=lambda report: reasons[report.pk]
    )
    return len(touched)


# Submit ------------------------------------------------------------------------------------------


@transaction.atomic
def report_submit(*, report: Report, version: int | None, by: User) -> Report:
    """Send the report for review. Submitting a report that is already submitted changes
    nothing. Values far from the same period a year earlier are flagged for the reviewer."""
    report = _locked_report(report)
    if _check_step(report, "submit", by=by):
        return report
    if version is not None and version != report.version:
        raise StaleVersion(report, version)
    every, values = _period_values(report)
    if not values:
        raise WorkflowError(
            [FieldError("values", gettext("the report has no values to submit"), "no_values")]
        )
    missing = selectors.report_missing_indicators(report=report, values=every)
    if missing:
        raise WorkflowError(
            [
                FieldError(
                    f"values.{code}",
                    gettext(
                        "a value is needed before the report can be submitted: a report is "
                        "complete only with a value for every indicator (0 if there was none)"
                    ),
                    "incomplete",
                )
                for code in missing
            ]
        )
    now = timezone.now()
    _flag_against_a_year_earlier(report, values)
    report.status = REPORT.target_of("submit")
    report.submitted_by, report.submitted_at = by, now
    _move_values(
        report,
        values,
        by=by,
        reason=history_reason("report_values_submitted", report=report.pk),
        submitted_by=by,
        submitted_at=now,
    )
    _record(report, by=by, reason=history_reason("report_submitted"))
    answered = list(selectors.open_value_returns(report_id=report.pk).values())
    for value_return in answered:
        value_return.resubmitted_at = now
    audited_bulk_update(
        answered,
        ValueReturn,
        ["resubmitted_at"],
        by=by,
        reason=history_reason("value_returns_answered"),
    )
    outbox_enqueue("evaluation.tasks.notify_reviewers", report_id=report.pk, version=report.version)
    return report


def _flag_against_a_year_earlier(report: Report, values: list[MetricValue]) -> None:
    """Each value far from the same period a year earlier is flagged for the reviewer; a fallen
    running total stays flagged."""
    factor = report.participation.programme.quality_factor
    a_year_earlier = Period(report.year - 1, report.period.granularity, report.number)
    earlier = selectors.values_a_year_earlier(
        city_id=report.participation.city_id, period=report.period
    )
    for value in values:
        kept = quality.kept_on_resubmission(value.flags)
        found = quality.against_a_year_earlier(
            value=value.value,
            earlier=earlier[value.indicator_id].value if value.indicator_id in earlier else None,
            factor=factor,
            earlier_period=a_year_earlier,
        )
        value.flags = [*kept, found] if found is not None else kept


def reviewers_notify(*, report_id: int, version: int) -> bool:
    """Tell whoever reviews this version of a report next that it awaits them: the ministry's
    reviewers for a submitted report, or, where the province reviews first (省级复核), the
    province's reviewers for a submitted one and the ministry's for what the province forwarded,
    with its opinion. At most once per version, however often the task is delivered. Returns
    whether an email went out."""

    from evaluation.models import ReviewNotice
    from evaluation.provinces import province_of

    report = Report.objects.select_related("participation__city", "participation__programme").get(
        pk=report_id
    )
    if report.status not in REPORT.awaiting(workflow.Actor.REVIEWER) or report.version != version:
        return False
    province_first = bool(
        REPORT.steps_from(
            report.status,
            workflow.Actor.PROVINCE,
            provincial=report.participation.programme.provincial_review,
        )
    )
    try:
        with transaction.atomic():
            ReviewNotice.objects.create(report=report, version=version)
    except IntegrityError:
        return False
    if province_first:
        emails = selectors.province_reviewer_emails(
            province=province_of(report.participation.city.code)
        )
    else:
        emails = selectors.reviewer_emails()
    if emails:
        try:
            # Reviewers read the product's language (the notice has no browser to ask).
            with translation.override(settings.LANGUAGE_CODE):
                subject, message = _review_notice(report, province_first=province_first)
            mail_send(
                subject=subject,
                message=message,
                recipients=emails,
                about=f"report {report.pk} v{version} {report.status}",
            )
        except Exception:
            # Not sent: forget the notice so that a retry of the task sends it.
            ReviewNotice.objects.filter(report=report, version=version).delete()
            raise
    return bool(emails)


def _review_notice(report: Report, *, province_first: bool) -> tuple[str, str]:
    """The subject and text telling the next reviewer a report awaits them."""
    words = {
        "programme": report.participation.programme.code,
        "city": report.participation.city,
        "period": report.period,
        "report": report,
    }
    if report.status == REPORT.target_of("forward"):
        opinion = (
            ProvincialOpinion.objects.filter(report=report, step="forward")
            .select_related("by")
            .order_by("-at", "-id")
            .first()
        )
        subject = (
            gettext("[%(programme)s] The province forwarded %(city)s's report for %(period)s")
            % words
        )
        message = gettext(
            "%(who)s, the reviewer of the city's province, forwarded %(report)s to the ministry "
            "with this opinion:\n\n%(opinion)s\n\nIt awaits review in the admin's review queue."
        ) % {
            **words,
            "who": (opinion.by.get_full_name() or opinion.by.username) if opinion else "—",
            "opinion": opinion.text if opinion else "—",
        }
        return subject, message
    subject = gettext("[%(programme)s] %(city)s submitted its report for %(period)s") % words
    if province_first:
        return subject, gettext(
            "%(report)s awaits the province's review (省级复核) on the portal: %(url)s"
        ) % {**words, "url": province_report_url(report.pk)}
    return subject, gettext("%(report)s awaits review in the admin's review queue.") % words


def province_report_url(report_id: int) -> str:
    """The full address of the province's page of a report on the portal (``PORTAL_URL``)."""
    from django.urls import reverse

    base: str = settings.PORTAL_URL
    return base.rstrip("/") + reverse("cities:province_report", kwargs={"report_id": report_id})


# Review ------------------------------------------------------------------------------------------


@transaction.atomic
def report_approve(*, report: Report, by: User) -> Report:
    """Approve a submitted report: its values count in evaluations from now on."""
    require_reviewer(by)
    report = _locked_report(report)
    if _check_step(report, "approve", by=by):
        return report
    now = timezone.now()
    _every, values = _period_values(report)
    report.status = REPORT.target_of("approve")
    report.reviewed_by, report.reviewed_at = by, now
    report.review_comment = ""
    _move_values(
        report,
        values,
        by=by,
        reason=history_reason("report_values_approved", report=report.pk),
        approved_by=by,
        approved_at=now,
    )
    _record(report, by=by, reason=history_reason("report_approved"))
    _notify_officials(report)
    return report


def _notify_officials(report: Report) -> None:
    """After the change commits, the city's officials hear of it (portal emails)."""
    outbox_enqueue(
        "evaluation.tasks.notify_officials",
        report_id=report.pk,
        version=report.version,
        kind=str(report.status),
    )


# The history reasons of a report going back to the city, and of its values, by step.
BACK_TO_CITY = {
    "return": ("report_returned", "report_values_returned"),
    "reopen": ("report_reopened", "report_values_reopened"),
    "send_back": ("province_returned", "report_values_returned"),
}


def _back_to_city(report: Report, step: str, *, text: str, by: User) -> Report:
    """Return or reopen: the report goes back to the city with the reviewer's words, and its
    values stop counting until it is approved again."""
    _every, values = _period_values(report)
    report.status = REPORT.target_of(step)
    report.reviewed_by, report.reviewed_at = by, timezone.now()
    report.review_comment = text
    _move_values(
        report,
        values,
        by=by,
        reason=history_reason(BACK_TO_CITY[step][1], report=report.pk),
        approved_by=None,
        approved_at=None,
    )
    _record(report, by=by, reason=history_reason(BACK_TO_CITY[step][0], text=text))
    _thread_add(
        report,
        ReportComment.Kind.REOPEN if step == "reopen" else ReportComment.Kind.RETURN,
        text,
        by=by,
    )
    _notify_officials(report)
    return report


# The longest comment or opinion a reviewer writes on a report (the conversation's message,
# which also lists single values' reasons, holds at most 20,000).
REVIEW_TEXT_LENGTH = 5000


def _review_text(step: str, text: str) -> str:
    text = text.strip()
    refusal = REPORT.missing(step, text)
    if refusal is not None:
        _raise(refusal)
    empty = REPORT.missing(step, "")
    _not_too_long(text, field=empty.field if empty is not None else "comment")
    return text


def _not_too_long(text: str, *, field: str | None) -> None:
    """A refusal naming ``field`` for a text longer than a review's (not a server error)."""
    if len(text) > REVIEW_TEXT_LENGTH:
        raise WorkflowError(
            [
                FieldError(
                    field,
                    gettext("at most %(limit)s characters; this text has %(n)s")
                    % {"limit": REVIEW_TEXT_LENGTH, "n": len(text)},
                    "text_too_long",
                )
            ]
        )


@transaction.atomic
def report_return(*, report: Report, comment: str, by: User) -> Report:
    """Send a submitted report back to the city with a comment saying what to fix."""
    require_reviewer(by)
    comment = _review_text("return", comment)
    report = _locked_report(report)
    _check_step(report, "return", by=by)
    return _back_to_city(report, "return", text=comment, by=by)


@transaction.atomic
def report_reopen(*, report: Report, reason: str, by: User) -> Report:
    """Unlock an approved report so the city can correct it; its values stop counting until it
    is approved again."""
    require_reviewer(by)
    reason = _review_text("reopen", reason)
    report = _locked_report(report)
    _check_step(report, "reopen", by=by)
    return _back_to_city(report, "reopen", text=reason, by=by)


# The province's review (省级复核) ---------------------------------------------------------------


@transaction.atomic
def report_forward(*, report: Report, opinion: str, by: User) -> Report:
    """A reviewer of the city's province forwards a submitted report to the ministry with its
    opinion (复核意见); the ministry reviews it from there. Only in a programme that uses the
    provincial review."""
    opinion = _review_text("forward", opinion)
    report = _locked_report(report)
    _check_step(report, "forward", by=by)
    ProvincialOpinion.objects.create(report=report, step="forward", text=opinion, by=by)
    _every, values = _period_values(report)
    report.status = REPORT.target_of("forward")
    _move_values(
        report, values, by=by, reason=history_reason("report_values_forwarded", report=report.pk)
    )
    _record(report, by=by, reason=history_reason("province_forwarded", text=opinion))
    # The ministry's reviewers are told, with the province's opinion, once this commits.
    outbox_enqueue("evaluation.tasks.notify_reviewers", report_id=report.pk, version=report.version)
    return report


@transaction.atomic
def report_send_back(*, report: Report, comment: str, by: User) -> Report:
    """A reviewer of the city's province returns a submitted report to the city, saying what
    to fix (the city sees it as any return)."""
    comment = _review_text("send_back", comment)
    report = _locked_report(report)
    _check_step(report, "send_back", by=by)
    ProvincialOpinion.objects.create(report=report, step="send_back", text=comment, by=by)
    return _back_to_city(report, "send_back", text=comment, by=by)


# Answer a comment --------------------------------------------------------------------------------
# The steps that return single values, by who takes them (the table says who may take each,
# from which states): the history reason of the report's row, and the province's opinion row
# written with it (the ministry reads it among the province's opinions).
VALUE_RETURNS = {
    "return_values": ("report_values_returned_one_by_one", None),
    "send_back_values": ("province_returned_values", ProvincialOpinion.Step.SEND_BACK),
}


def _returned_lines(returns: list[ValueReturn]) -> list[str]:
    """Each returned value with its reason, as the stored comment says it: by the indicator's
    Chinese name (the glossary's), the programme's working language, whoever reads it later."""
    return [f"{r.value.indicator.name_zh}：{r.reason}" for r in returns]


@transaction.atomic
def report_return_values(
    *,
    report: Report,
    reasons: Mapping[str, str],
    comment: str = "",
    by: User,
    step: str = "return_values",
) -> Report:
    """Send single values of a submitted report back to the city, a reason each
    (``{indicator: reason}``), with an optional word on the whole: by the ministry
    (``return_values``) or, in a programme with the provincial review, by a reviewer of the
    city's province before it forwards the report (``send_back_values``). The report goes back
    to the city, whose officials may then change only these values (and their evidence)
    before submitting it again; the other values stay as they are. The comment in the
    conversation lists each value, by its Chinese name, with its reason."""
    if step not in VALUE_RETURNS:
        raise ValueError(f"{step} does not return single values")
    _not_too_long(comment.strip(), field="comment")
    report = _locked_report(report)
    _check_step(report, step, by=by)
    values = {
        v.indicator.code: v
        for v in selectors.period_values(
            city_id=report.participation.city_id, period=report.period, lock=True
        )
        if v.report_id == report.pk
    }
    errors: list[FieldError] = []
    chosen: dict[str, str] = {}
    for code, reason in reasons.items():
        reason = str(reason).strip()
        if code not in values:
            errors.append(
                FieldError(
                    f"reasons.{code}",
                    gettext("the report has no value of %(code)s") % {"code": code},
                    "unknown_value",
                )
            )
        elif not reason:
            refusal = REPORT.missing(step, reason)
            assert refusal is not None
            errors.append(FieldError(f"reasons.{code}", refusal.reason, refusal.code))
        elif len(reason) > 1000:
            errors.append(
                FieldError(
                    f"reasons.{code}",
                    gettext("a reason is at most %(limit)s characters") % {"limit": 1000},
                    "text_too_long",
                )
            )
        else:
            chosen[code] = reason
    if not reasons:
        errors.append(
            FieldError("reasons", gettext("choose at least one value to return"), "reason_required")
        )
    if errors:
        raise WorkflowError(errors)
    now = timezone.now()
    returns = [
        ValueReturn(
            report=report,
            value=values[code],
            reason=reason,
            value_then=values[code].value,
            returned_by=by,
            returned_at=now,
        )
        for code, reason in sorted(
            chosen.items(), key=lambda item: values[item[0]].indicator.position
        )
    ]
    audited_bulk_create(
        returns, ValueReturn, by=by, reason=history_reason("value_returned", report=report.pk)
    )
    lines = _returned_lines(returns)
    text = "\n".join([comment.strip(), *lines] if comment.strip() else lines)
    history, opinion = VALUE_RETURNS[step]
    if opinion is not None:
        ProvincialOpinion.objects.create(report=report, step=opinion, text=text, by=by)
    report.status = REPORT.target_of(step)
    report.reviewed_by, report.reviewed_at = by, now
    report.review_comment = text
    _every, own = _period_values(report)
    _move_values(
        report,
        own,
        by=by,
        reason=history_reason("report_values_returned", report=report.pk),
        approved_by=None,
        approved_at=None,
    )
    _record(
        report,
        by=by,
        reason=history_reason(history, codes=", ".join(sorted(chosen))),
    )
    _thread_add(report, ReportComment.Kind.RETURN, text, by=by)
    _notify_officials(report)
    return report


# The conversation --------------------------------------------------------------------------------

COMMENT_LENGTH = 2000


def _thread_add(report: Report, kind: str, text: str, *, by: User) -> ReportComment:
    comment = ReportComment(report=report, kind=kind, author=by, text=text)
    return audited_save(
        comment,
        by=by,
        reason=history_reason("comment_written", kind=kind),
    )


@transaction.atomic
def report_comment_add(*, report: Report, text: str, by: User) -> ReportComment:
    """A message in the report's conversation, kept with its author and time (and its history
    row): an official of the city replies once a reviewer has written (a return comment, a
    reopening's reason, a note); a reviewer adds a note at any time. The other side hears of it
    by email. Changes nothing else: figures change through the report's own steps."""
    from evaluation.access import is_reviewer

    reviewer = is_reviewer(by)
    if not reviewer:
        require_official_of(by, report.participation)
    report = _locked_report(report)
    text = text.strip()
    reviewer_wrote = (
        bool(report.review_comment)
        or ReportComment.objects.filter(report=report)
        .exclude(kind=ReportComment.Kind.REPLY)
        .exists()
    )
    if not reviewer and not reviewer_wrote:
        raise WorkflowError(
            [
                FieldError(
                    None,
                    gettext("the reviewer has left no comment on this report to answer"),
                    "nothing_to_answer",
                )
            ]
        )
    if not text:
        raise WorkflowError(
            [FieldError("text", gettext("write your answer to the reviewer"), "text_required")]
        )
    if len(text) > COMMENT_LENGTH:
        raise WorkflowError(
            [
                FieldError(
                    "text",
                    gettext("an answer is at most %(limit)s characters; this one has %(n)s")
                    % {"limit": COMMENT_LENGTH, "n": len(text)},
                    "text_too_long",
                )
            ]
        )
    kind = ReportComment.Kind.NOTE if reviewer else ReportComment.Kind.REPLY
    comment = _thread_add(report, kind, text, by=by)
    outbox_enqueue("evaluation.tasks.notify_comment", comment_id=comment.pk)
    return comment


# Upload a file -----------------------------------------------------------------------------------


def _reports_fill(
    *,
    participation: Participation,
    by_period: Mapping[Period, list[ParsedMetric]],
    reports: Mapping[Period, Report],
    closed: inputs.ClosedPeriods,
    by: User,
    name: str,
) -> int:
    """A file's periods, set-based: what ``report_create`` then ``report_values_set`` do for
    each period (the same rows, history rows and ledger entries, each with its report's
    reason), in a fixed number of queries whatever the number of periods. The caller
    (``reports_upload``) has checked what ``report_create`` checks, for every period of the
    file at once (the person, closed, not ended, one granularity a year among the stored
    reports and the file's own, reported elsewhere, before the baseline), and the approved
    values, and has locked the reports; the report's state, the returned values and the
    figures are checked here by the functions a single save uses. Returns how many reports
    changed."""
    opened = [
        _new_report(participation, period, by=by)
        for period in sorted(by_period)
        if period not in reports
    ]
    for report in opened:
        fields_clean(report)
    audited_bulk_create(opened, Report, by=by, reason=history_reason("report_created"))
    every = {**reports, **{report.period: report for report in opened}}
    for report in every.values():
        report.participation = participation  # what the checks read, not read again
    rules = selectors.ruleset_rules(programme=participation.programme)
    stored: dict[Period, dict[str, MetricValue]] = {}
    for value in selectors.values_of_periods(
        city_id=participation.city_id, periods=list(by_period), lock=True
    ):
        stored.setdefault(value.period, {})[value.indicator.code] = value
    returned = selectors.open_value_returns_of(
        report_ids=[every[period].pk for period in by_period]
    )
    now = timezone.now()
    plans = []
    for period, members in sorted(by_period.items()):
        report = every[period]
        try:
            _check_state(
                report,
                "edit",
                closed=partial(closed.reason, city_id=participation.city_id, period=period),
            )
            parsed, errors = _parse_values(
                {m.indicator.code: str(m.value) for m in members},
                rules,
                participation.programme.code,
            )
            if errors:
                raise WorkflowError(errors)
            plans.append(
                _values_plan(
                    report,
                    parsed,
                    current=stored.get(period, {}),
                    returned=returned.get(report.pk, {}),
                    rules=rules,
                    version=report.version,
                    by=by,
                    now=now,
                )
            )
        except WorkflowError as refused:
            # Every rule is checked by line first (``reports_upload``); one the workflow adds
            # here still names the file's lines of that period rather than the request.
            raise ImportRefused(
                name,
                [
                    RowError(m.line, "period", item.reason)
                    for item in refused.errors
                    for m in members
                ],
            ) from None
    return _plans_write(plans, by=by)


@transaction.atomic
def reports_upload(
    *,
    participation: Participation,
    name: str,
    data: bytes,
    by: User,
    dry_run: bool = False,
    limits: UploadLimits | None = None,
) -> dict[str, int | bool | list[str]]:
    """Fill the city's draft reports from a metrics file (the format of interfaces.md): all or
    nothing, every bad row named. Rows without a value are passed over (counted as
    ``rows_left_empty``). Periods without a report get one; the reports stay drafts until the
    official submits them (``periods``: the ones the file fills). With ``dry_run`` everything
    is checked and counted, and nothing is saved. ``limits``: the API's unless told."""
    require_official_of(by, participation)
    rows, errors = read_table(
        name,
        data,
        required=METRIC_COLUMNS,
        optional=METRIC_OPTIONAL_COLUMNS,
        limits=limits or upload_limits("api"),
    )
    try:
        selectors.ruleset_current(programme=participation.programme)
    except NoRuleset as exc:
        raise ImportRefused(name, [RowError(0, None, str(exc), "no_ruleset")]) from None
    # A row without a value is one the official left as the template wrote it (a period or an
    # indicator not reported now): a draft may be partial, so it is passed over, not refused.
    left_empty = [row for row in rows if not row.values.get("value", "").strip()]
    rows = [row for row in rows if row.values.get("value", "").strip()]
    city = participation.city
    ours = []
    for row in rows:
        code = row.values.get("city_code", "")
        if code and code != city.code:
            errors.append(
                RowError(
                    row.line,
                    "city_code",
                    gettext("this upload is for city %(city)s") % {"city": city.code},
                    "other_city",
                )
            )
        else:
            ours.append(row)
    metrics, row_errors = parse_metric_rows(ours, cities={city.code: city})
    errors += row_errors

    by_period: dict[Period, list[ParsedMetric]] = {}
    for metric in metrics:
        by_period.setdefault(metric.period, []).append(metric)
    # The periods a form save or another upload opens meanwhile are read below, once it ends.
    city_reports_lock(participation)
    reports = {
        r.period: r
        # The reports' rows alone (their default order joins the participation, programme and
        # city, whose rows a lock would take too).
        for r in Report.objects.select_for_update(of=("self",)).filter(
            participation=participation, year__in={p.year for p in by_period}
        )
    }
    today = timezone.localdate()
    city_code = participation.city.code
    other_reports = [
        inputs.Figure(city_code, None, r.period)
        for r in Report.objects.filter(
            city_id=participation.city_id, year__in={p.year for p in by_period}
        )
    ]
    closed = inputs.ClosedPeriods([participation.city_id])
    elsewhere = inputs.reported_elsewhere(participation=participation, periods=by_period)
    for period, members in by_period.items():
        why = closed.reason(city_id=participation.city_id, period=period)
        why = why or inputs.period_not_ended_error(period=period, today=today)
        # The city's reports of the year (2023-Q1 beside a file's 2023-02), and the reports the
        # file itself opens beside this one (2023-Q1 and 2023-02 in one file): every period is
        # opened at once (``_reports_fill``), so none is "stored" before another.
        figure = inputs.Figure(city_code, None, period)
        mates = [inputs.Figure(city_code, None, other) for other in by_period if other != period]
        why = why or inputs.mixed_granularity([figure], other_reports + mates).get(figure)
        report = reports.get(period)
        if why is None and report is not None:
            why = REPORT.locked_reason(report.status, period=period)
        if why is None:
            why = elsewhere.get(period)
        if why is None:
            why = inputs.before_baseline_error(programme=participation.programme, period=period)
        if why is not None:
            errors += [RowError(m.line, "period", why) for m in members]
    stored = MetricValue.objects.filter(city=city, year__in={p.year for p in by_period})
    errors += mixed_granularity_errors(metrics, stored)
    approved = {
        (v.indicator_id, v.period) for v in stored if v.status == MetricValue.Status.APPROVED
    }
    errors += [
        RowError(
            m.line,
            "value",
            gettext("%(code)s for %(period)s is already approved")
            % {"code": m.indicator.code, "period": m.period},
            "value_approved",
        )
        for m in metrics
        if (m.indicator.pk, m.period) in approved
    ]
    if errors:
        raise ImportRefused(name, errors)

    changed = _reports_fill(
        participation=participation,
        by_period=by_period,
        reports=reports,
        closed=closed,
        by=by,
        name=name,
    )
    outcome: dict[str, int | bool | list[str]] = {
        "rows": len(metrics),
        "rows_left_empty": len(left_empty),
        "reports": len(by_period),
        "reports_changed": changed,
        "periods": [period.label for period in sorted(by_period)],
    }
    if dry_run:
        outcome["dry_run"] = True
    dry_run_end(dry_run)
    return outcome
