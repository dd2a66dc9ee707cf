"""The reporting workflow: an official fills in a period's report and submits it; a reviewer
approves it, or returns it with a comment; an approved report is locked until a reviewer
reopens it with a reason. Every change writes its history row, with the acting user, in the
same transaction; a refused request changes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from simple_history.utils import bulk_update_with_history

from evaluation import inputs
from evaluation.access import require_official_of, require_reviewer
from evaluation.exceptions import (
    FieldError,
    ImportRefused,
    Locked,
    RowError,
    StaleVersion,
    WorkflowError,
)
from evaluation.models import (
    Indicator,
    MetricValue,
    Participation,
    Report,
    RuleKind,
)
from evaluation.scoring import Granularity, Period
from evaluation.selectors import ruleset_current
from evaluation.services.imports import (
    METRIC_COLUMNS,
    METRIC_OPTIONAL_COLUMNS,
    ParsedMetric,
    dry_run_end,
    mixed_granularity_errors,
    parse_metric_rows,
)
from evaluation.services.ledger import ledger_append
from evaluation.services.outbox import outbox_enqueue
from evaluation.tabular import read_table
from evaluation.vocabulary import report_status_word

# The status each review step starts from: the services below refuse a step from any other,
# and the admin offers a report only the steps its status allows.
REVIEW_STEPS_FROM = {
    "approve": Report.Status.SUBMITTED,
    "return": Report.Status.SUBMITTED,
    "reopen": Report.Status.APPROVED,
}


def report_review_steps(*, report: Report) -> list[str]:
    """The review steps (``approve``, ``return``, ``reopen``) the report's status allows."""
    return [step for step, status in REVIEW_STEPS_FROM.items() if report.status == status]


def _refuse_if_closed(participation: Participation, period: Period) -> None:
    reason = inputs.period_closed_reason(city_id=participation.city_id, period=period)
    if reason is not None:
        raise Locked(reason)


def _save(instance: Report, *, by: User | None, reason: str) -> None:
    instance.full_clean(validate_unique=False)
    instance._history_user = by  # type: ignore[attr-defined]
    instance._change_reason = reason  # type: ignore[attr-defined]
    instance.save()
    ledger_append(instance, action=reason, by=by)


def _period_values(report: Report) -> list[MetricValue]:
    return list(
        MetricValue.objects.select_for_update()
        .filter(
            city_id=report.participation.city_id,
            year=report.year,
            granularity=report.granularity,
            number=report.number,
        )
        .select_related("indicator")
    )


def _update_values(values: list[MetricValue], *, by: User | None, reason: str) -> None:
    bulk_update_with_history(
        values,
        MetricValue,
        [
            "report",
            "value",
            "status",
            "flag",
            "submitted_by",
            "submitted_at",
            "approved_by",
            "approved_at",
        ],
        default_user=by,
        default_change_reason=reason,
    )
    ledger_append(values, action=reason, by=by)


@transaction.atomic
def report_create(*, participation: Participation, period: Period, by: User) -> Report:
    """Open the report of ``period``; asking again for the same period returns the same one."""
    require_official_of(by, participation)
    existing = Report.objects.filter(
        participation=participation,
        year=period.year,
        granularity=str(period.granularity),
        number=period.number,
    ).first()
    if existing is not None:
        return existing
    _refuse_if_closed(participation, period)
    programme = participation.programme
    errors = [
        FieldError("period", why)
        for why in inputs.reported_elsewhere(participation=participation, periods=[period]).values()
    ]
    if (before := inputs.before_baseline_error(programme=programme, period=period)) is not None:
        errors.append(FieldError("period", before))
    if period.start > timezone.localdate():
        errors.append(
            FieldError("period", gettext("%(period)s has not started yet") % {"period": period})
        )
    city = participation.city.code
    others = [
        inputs.Figure(city, None, r.period)
        for r in Report.objects.filter(city_id=participation.city_id, year=period.year).exclude(
            granularity=str(period.granularity)
        )
    ]
    errors += [
        FieldError("period", why)
        for why in inputs.mixed_granularity([inputs.Figure(city, None, period)], others).values()
    ]
    if errors:
        raise WorkflowError(errors)
    report = Report(
        participation=participation,
        city_id=participation.city_id,
        year=period.year,
        granularity=str(period.granularity),
        number=period.number,
        due_date=inputs.due_date(programme=participation.programme, period=period),
        created_by=by,
    )
    _save(report, by=by, reason="report created")
    return report


@transaction.atomic
def report_values_set(
    *, report: Report, values: Mapping[str, str], version: int, by: User
) -> Report:
    """Create or update the values of a draft (or returned) report, ``{indicator: value}``.

    Based on ``version``: a change to a report that has moved on since is refused
    (``StaleVersion``). Sending values the report already holds changes nothing and is
    accepted whatever the version, so repeating a request is harmless."""
    report = (
        Report.objects.select_for_update()
        .select_related("participation__programme", "participation__city")
        .get(pk=report.pk)
    )
    participation = report.participation
    require_official_of(by, participation)
    _refuse_if_closed(participation, report.period)
    if report.status not in (Report.Status.DRAFT, Report.Status.RETURNED):
        raise Locked(
            (
                gettext(
                    "the report for %(period)s is %(status)s: it is locked; a reviewer may "
                    "reopen it"
                )
                if report.status == Report.Status.APPROVED
                else gettext("the report for %(period)s is %(status)s: it is awaiting review")
            )
            % {"period": report.period, "status": report_status_word(report.status)}
        )

    rules = {
        rule.indicator.code: rule
        for rule in ruleset_current(programme=participation.programme).rules.select_related(
            "indicator"
        )
    }
    errors: list[FieldError] = []
    parsed: dict[str, Decimal] = {}
    for code, text in values.items():
        field = f"values.{code}"
        rule = rules.get(code)
        if rule is None:
            known = Indicator.objects.filter(code=code).exists()
            errors.append(
                FieldError(
                    field,
                    gettext("indicator %(code)s is not scored in programme %(programme)s")
                    % {"code": code, "programme": participation.programme.code}
                    if known
                    else gettext("unknown indicator %(code)r") % {"code": code},
                )
            )
            continue
        try:
            parsed[code] = inputs.parse_number(
                str(text).strip(), places=rule.indicator.decimal_places
            )
        except ValueError as exc:
            errors.append(FieldError(field, str(exc)))
    if not values:
        errors.append(FieldError("values", gettext("give at least one indicator's value")))
    city = participation.city.code
    stored = [
        inputs.Figure(city, value.indicator.code, value.period)
        for value in MetricValue.objects.filter(
            city_id=participation.city_id, indicator__code__in=list(parsed), year=report.year
        )
        .exclude(granularity=report.granularity)
        .select_related("indicator")
    ]
    asked = [inputs.Figure(city, code, report.period) for code in parsed]
    errors += [
        FieldError(f"values.{figure.indicator}", why)
        for figure, why in inputs.mixed_granularity(asked, stored).items()
    ]
    if errors:
        raise WorkflowError(errors)

    current = {v.indicator.code: v for v in _period_values(report)}
    for code, value in current.items():
        if code in parsed and value.status == MetricValue.Status.APPROVED:
            raise Locked(
                gettext(
                    "%(code)s for %(period)s is already approved (value %(value)s); a reviewer "
                    "must reopen it first"
                )
                % {"code": code, "period": report.period, "value": value.value}
            )
    changed = [
        code for code in parsed if code not in current or current[code].value != parsed[code]
    ]
    if not changed:
        return report
    if version != report.version:
        raise StaleVersion(report, version)

    now = timezone.now()
    reason = f"report {report.pk} values set"
    to_create: list[MetricValue] = []
    to_update: list[MetricValue] = []
    for code in changed:
        existing = current.get(code)
        flag = ""
        if (
            existing is not None
            and report.submitted_at is not None
            and rules[code].kind == RuleKind.CUMULATIVE
            and parsed[code] < existing.value
        ):
            flag = (
                f"the running total would fall: {report.period} lowered from {existing.value} "
                f"to {parsed[code]:.2f} after it had been submitted"
            )
        if existing is None:
            to_create.append(
                MetricValue(
                    city_id=participation.city_id,
                    indicator=rules[code].indicator,
                    report=report,
                    year=report.year,
                    granularity=report.granularity,
                    number=report.number,
                    value=parsed[code],
                    status=MetricValue.Status.DRAFT,
                    flag=flag,
                    submitted_by=by,
                    submitted_at=now,
                )
            )
        else:
            existing.report = report
            existing.value = parsed[code]
            existing.status = MetricValue.Status.DRAFT
            existing.flag = flag
            existing.submitted_by = by
            existing.submitted_at = now
            to_update.append(existing)
    for value in to_create:
        value.full_clean(validate_unique=False)
        value._history_user = by  # type: ignore[attr-defined]
        value._change_reason = reason  # type: ignore[attr-defined]
        value.save()
    ledger_append(to_create, action=reason, by=by)
    _update_values(to_update, by=by, reason=reason)
    report.version += 1
    _save(report, by=by, reason=reason)
    return report


def report_missing_indicators(*, report: Report, values: list[MetricValue]) -> list[str]:
    """The indicators of the programme's current ruleset the report has no value for. A report
    is complete, and can be submitted, only with a value for every one (zero is a value)."""
    present = {value.indicator_id for value in values}
    return [
        code
        for indicator_id, code in ruleset_current(programme=report.participation.programme)
        .rules.order_by("indicator__position")
        .values_list("indicator_id", "indicator__code")
        if indicator_id not in present
    ]


@transaction.atomic
def report_submit(*, report: Report, version: int | None, by: User) -> Report:
    """Send the report for review. Submitting a report that is already submitted changes
    nothing. Values far from the same period a year earlier are flagged for the reviewer."""
    report = (
        Report.objects.select_for_update()
        .select_related("participation__programme", "participation__city")
        .get(pk=report.pk)
    )
    require_official_of(by, report.participation)
    if report.status == Report.Status.SUBMITTED:
        return report
    _refuse_if_closed(report.participation, report.period)
    if report.status == Report.Status.APPROVED:
        raise Locked(
            gettext("the report for %(period)s is approved and locked") % {"period": report.period}
        )
    if version is not None and version != report.version:
        raise StaleVersion(report, version)
    values = _period_values(report)
    if not values:
        raise WorkflowError([FieldError("values", gettext("the report has no values to submit"))])
    missing = report_missing_indicators(report=report, values=values)
    if missing:
        raise WorkflowError(
            [
                FieldError(
                    f"values.{code}",
                    gettext(
                        "%(code)s has no value: a report is complete only with a value for "
                        "every indicator (0 if there was none)"
                    )
                    % {"code": code},
                )
                for code in missing
            ]
        )
    now = timezone.now()
    _flag_against_last_year(report, values)
    for value in values:
        value.report = report
        value.status = MetricValue.Status.SUBMITTED
        value.submitted_by = by
        value.submitted_at = now
    _update_values(values, by=by, reason=f"report {report.pk} submitted")
    report.status = Report.Status.SUBMITTED
    report.submitted_by, report.submitted_at = by, now
    report.version += 1
    _save(report, by=by, reason="submitted")
    outbox_enqueue("evaluation.tasks.notify_reviewers", report_id=report.pk, version=report.version)
    return report


def reviewers_notify(*, report_id: int, version: int) -> bool:
    """Tell the ministry reviewers that this version of a report awaits review; at most once
    per version, however often the task is delivered. Returns whether an email went out."""
    from django.contrib.auth.models import User
    from django.core.mail import send_mail
    from django.db import IntegrityError

    from evaluation.access import ADMINISTRATORS, REVIEWERS
    from evaluation.models import ReviewNotice

    report = Report.objects.select_related("participation__city", "participation__programme").get(
        pk=report_id
    )
    if report.status != Report.Status.SUBMITTED or report.version != version:
        return False
    try:
        with transaction.atomic():
            ReviewNotice.objects.create(report=report, version=version)
    except IntegrityError:
        return False
    emails = sorted(
        set(
            User.objects.filter(groups__name__in=[REVIEWERS, ADMINISTRATORS], is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )
    if emails:
        try:
            # Reviewers read the product's language (the notice has no browser to ask).
            with translation.override(settings.LANGUAGE_CODE):
                subject = gettext(
                    "[%(programme)s] %(city)s submitted its report for %(period)s"
                ) % {
                    "programme": report.participation.programme.code,
                    "city": report.participation.city,
                    "period": report.period,
                }
                message = gettext("%(report)s awaits review in the admin's review queue.") % {
                    "report": report
                }
            send_mail(subject=subject, message=message, from_email=None, recipient_list=emails)
        except Exception:
            # Not sent: forget the notice so that a retry of the task sends it.
            ReviewNotice.objects.filter(report=report, version=version).delete()
            raise
    return bool(emails)


def _flag_against_last_year(report: Report, values: list[MetricValue]) -> None:
    factor = report.participation.programme.quality_factor
    a_year_earlier = Period(report.year - 1, Granularity(report.granularity), report.number)
    earlier = {
        v.indicator_id: v.value
        for v in MetricValue.objects.filter(
            city_id=report.participation.city_id,
            year=report.year - 1,
            granularity=report.granularity,
            number=report.number,
            status__in=[MetricValue.Status.SUBMITTED, MetricValue.Status.APPROVED],
        )
    }
    for value in values:
        kept = [line for line in value.flag.splitlines() if line.startswith("the running total")]
        before = earlier.get(value.indicator_id)
        if before is not None:
            if value.value > before * factor:
                kept.append(
                    f"{value.value} is more than {factor.normalize():f} times the {a_year_earlier} "
                    f"value {before}"
                )
            elif value.value * factor < before:
                kept.append(
                    f"{value.value} is less than 1/{factor.normalize():f} of the "
                    f"{a_year_earlier} value {before}"
                )
        value.flag = "\n".join(kept)


@transaction.atomic
def report_approve(*, report: Report, by: User) -> Report:
    """Approve a submitted report: its values count in evaluations from now on."""
    require_reviewer(by)
    report = (
        Report.objects.select_for_update()
        .select_related("participation__programme")
        .get(pk=report.pk)
    )
    if report.status == Report.Status.APPROVED:
        return report
    _refuse_if_closed(report.participation, report.period)
    if report.status != REVIEW_STEPS_FROM["approve"]:
        raise WorkflowError(
            [
                FieldError(
                    "status",
                    gettext("only a submitted report can be approved; it is %(status)s")
                    % {"status": report_status_word(report.status)},
                )
            ]
        )
    now = timezone.now()
    values = _period_values(report)
    for value in values:
        value.status = MetricValue.Status.APPROVED
        value.approved_by, value.approved_at = by, now
    _update_values(values, by=by, reason=f"report {report.pk} approved")
    report.status = Report.Status.APPROVED
    report.reviewed_by, report.reviewed_at = by, now
    report.review_comment = ""
    report.version += 1
    _save(report, by=by, reason="approved")
    _notify_officials(report)
    return report


def _notify_officials(report: Report) -> None:
    """After the change commits, the city's officials hear of it (portal emails)."""
    outbox_enqueue(
        "cities.tasks.notify_officials",
        report_id=report.pk,
        version=report.version,
        kind=str(report.status),
    )


def _back_to_city(report: Report, *, comment: str, by: User, reason: str) -> Report:
    values = _period_values(report)
    for value in values:
        value.status = MetricValue.Status.DRAFT
        value.approved_by, value.approved_at = None, None
    _update_values(values, by=by, reason=f"report {report.pk} {reason}")
    report.status = Report.Status.RETURNED
    report.reviewed_by, report.reviewed_at = by, timezone.now()
    report.review_comment = comment
    report.version += 1
    _save(report, by=by, reason=f"{reason}: {comment}")
    _notify_officials(report)
    return report


@transaction.atomic
def report_return(*, report: Report, comment: str, by: User) -> Report:
    """Send a submitted report back to the city with a comment saying what to fix."""
    require_reviewer(by)
    comment = comment.strip()
    if not comment:
        raise WorkflowError([FieldError("comment", gettext("say what the city should fix"))])
    report = Report.objects.select_for_update().select_related("participation").get(pk=report.pk)
    if report.status != REVIEW_STEPS_FROM["return"]:
        raise WorkflowError(
            [
                FieldError(
                    "status",
                    gettext("only a submitted report can be returned; it is %(status)s")
                    % {"status": report_status_word(report.status)},
                )
            ]
        )
    return _back_to_city(report, comment=comment, by=by, reason="returned")


@transaction.atomic
def report_reopen(*, report: Report, reason: str, by: User) -> Report:
    """Unlock an approved report so the city can correct it; its values stop counting until it
    is approved again."""
    require_reviewer(by)
    reason = reason.strip()
    if not reason:
        raise WorkflowError(
            [FieldError("reason", gettext("a written reason is required to reopen"))]
        )
    report = (
        Report.objects.select_for_update()
        .select_related("participation__programme")
        .get(pk=report.pk)
    )
    if report.status != REVIEW_STEPS_FROM["reopen"]:
        raise WorkflowError(
            [
                FieldError(
                    "status",
                    gettext("only an approved report can be reopened; it is %(status)s")
                    % {"status": report_status_word(report.status)},
                )
            ]
        )
    _refuse_if_closed(report.participation, report.period)
    return _back_to_city(report, comment=reason, by=by, reason="reopened")


@transaction.atomic
def reports_upload(
    *, participation: Participation, name: str, data: bytes, by: User, dry_run: bool = False
) -> dict[str, int | bool]:
    """Fill the city's draft reports from a metrics file (the format of interfaces.md): all or
    nothing, every bad row named. Periods without a report get one; the reports stay drafts
    until the official submits them. With ``dry_run`` everything is checked and counted, and
    nothing is saved."""
    require_official_of(by, participation)
    rows, errors = read_table(name, data, required=METRIC_COLUMNS, optional=METRIC_OPTIONAL_COLUMNS)
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
                )
            )
        else:
            ours.append(row)
    metrics, row_errors = parse_metric_rows(ours, cities={city.code: city})
    errors += row_errors

    by_period: dict[Period, list[ParsedMetric]] = {}
    for metric in metrics:
        by_period.setdefault(metric.period, []).append(metric)
    reports = {
        r.period: r
        for r in Report.objects.select_for_update().filter(
            participation=participation, year__in={p.year for p in by_period}
        )
    }
    closed = inputs.ClosedPeriods([participation.city_id])
    elsewhere = inputs.reported_elsewhere(participation=participation, periods=by_period)
    for period, members in by_period.items():
        why = closed.reason(city_id=participation.city_id, period=period)
        report = reports.get(period)
        if (
            why is None
            and report is not None
            and report.status
            not in (
                Report.Status.DRAFT,
                Report.Status.RETURNED,
            )
        ):
            why = gettext("the report for %(period)s is %(status)s and cannot change now") % {
                "period": period,
                "status": report_status_word(report.status),
            }
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
        )
        for m in metrics
        if (m.indicator.pk, m.period) in approved
    ]
    if errors:
        raise ImportRefused(name, errors)

    changed = 0
    for period, members in sorted(by_period.items()):
        report = report_create(participation=participation, period=period, by=by)
        before = report.version
        report = report_values_set(
            report=report,
            values={m.indicator.code: str(m.value) for m in members},
            version=report.version,
            by=by,
        )
        changed += report.version != before
    outcome: dict[str, int | bool] = {
        "rows": len(metrics),
        "reports": len(by_period),
        "reports_changed": changed,
    }
    if dry_run:
        outcome["dry_run"] = True
    dry_run_end(dry_run)
    return outcome
