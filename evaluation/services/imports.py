"""Loading the fixed files (cities, targets, metrics): all or nothing.

Every row is checked before anything is written, every bad row is reported with its line,
column and reason, and a refused file leaves the database exactly as it was. Loading the same
file twice changes nothing the second time. Writes go through django-simple-history so every
created or changed row has a history record with who, when and why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import NamedTuple, Protocol

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from evaluation.access import is_reviewer
from evaluation.bulk import collector_paused
from evaluation.exceptions import (
    Forbidden,
    ImportRefused,
    NoRuleset,
    RowError,
    reason_of,
)
from evaluation.inputs import (
    MAX_AMOUNT,
    MAX_TARGET,
    MAX_VALUE,
    ClosedPeriods,
    Figure,
    amount_errors,
    division_code_error,
    mixed_granularity,
    name_error,
    parse_number,
    period_error,
    period_not_ended_error,
    target_row_error,
)
from evaluation.models import (
    Indicator,
    MetricValue,
    Participation,
    Programme,
    Report,
    Target,
)
from evaluation.models.cities import City
from evaluation.reasons import history_reason
from evaluation.scoring import Granularity, Period, PeriodError, rule_kind
from evaluation.selectors import ruleset_current
from evaluation.services.audit import (
    audited_bulk_create,
    audited_bulk_update,
    audited_insert_rows,
    audited_save,
)
from evaluation.tabular import Row, UploadLimits, read_table
from evaluation.workflow import REPORT

CITY_COLUMNS = ("code", "name_en", "name_zh", "province")
CITY_OPTIONAL_COLUMNS = ("total_amount", "first_tranche")
TARGET_COLUMNS = ("city_code", "indicator", "target")
METRIC_COLUMNS = ("city_code", "period", "indicator", "value")
# Written by the portal's Excel template for the person filling it in; read and ignored.
METRIC_OPTIONAL_COLUMNS = ("indicator_name", "unit")


def _require_ministry(by: User | None) -> None:
    """Files are loaded by the ministry (or by the system, ``by=None``); a city official
    uploads through their own city's reports instead."""
    if by is not None and not is_reviewer(by):
        raise Forbidden(gettext("only ministry reviewers and administrators load files"))


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # A dry run checked everything and says what would change, but saved nothing.
    dry_run: bool = False

    def __str__(self) -> str:
        return gettext("%(created)s created, %(updated)s updated, %(unchanged)s unchanged") % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


def dry_run_end(dry_run: bool) -> None:
    """End a dry run: everything the service did in its transaction is rolled back when it
    returns (the innermost atomic block), so a dry run runs every check and write of the real
    one, and says exactly what the real one would change."""
    if dry_run:
        transaction.set_rollback(True)


class RowCheck:
    """The checks of one row of a file, each fault kept (a row can break several rules at once,
    and the file's refusal lists them all): the one row checker every import uses."""

    __slots__ = ("errors", "row")

    def __init__(self, row: Row) -> None:
        self.row = row
        self.errors: list[RowError] = []

    def refuse(self, column: str | None, reason: str, code: str = "") -> None:
        self.errors.append(RowError(self.row.line, column, reason, code))

    def required(self, column: str, *, max_length: int = 0) -> str:
        """The column's text; refused when empty or longer than ``max_length``."""
        value = self.row.values.get(column, "")
        if not value:
            self.refuse(column, gettext("a value is required"), "required")
        elif max_length and len(value) > max_length:
            self.refuse(
                column,
                gettext("longer than %(length)s characters") % {"length": max_length},
                "too_long",
            )
        return value

    def name(self, column: str, *, max_length: int) -> str:
        """A name: required, not too long, and a name (``inputs.name_error``)."""
        text = self.required(column, max_length=max_length)
        if text and (why := name_error(text)) is not None:
            self.refuse(column, why)
        return text

    def city_code(self, column: str) -> str:
        """A 6-digit division code ("" when refused)."""
        code = self.required(column)
        why = division_code_error(code) if code else None
        if why is not None:
            self.refuse(column, why)
            return ""
        return code

    def number(
        self, column: str, *, places: int, positive: bool = False, limit: Decimal, text: str | None
    ) -> Decimal | None:
        """The column's number (``inputs.parse_number``), or None when refused."""
        try:
            return parse_number(
                self.row.values.get(column, "") if text is None else text,
                places=places,
                positive=positive,
                limit=limit,
            )
        except ValueError as exc:
            self.refuse(column, reason_of(exc))
            return None

    @property
    def ok(self) -> bool:
        return not self.errors


class FirstLines:
    """Where each key first appeared in a file: a row repeating one is refused naming it."""

    def __init__(self) -> None:
        self.lines: dict[object, int] = {}

    def repeated(
        self, check: RowCheck, key: object, *, column: str | None, reason: str, **words: object
    ) -> bool:
        """Whether ``key`` appeared on an earlier line: then the row is refused with ``reason``
        (a translated template naming ``%(line)s``, the first line, and ``words``; a word given
        as a function is asked for only then). The first appearance is recorded."""
        first = self.lines.setdefault(key, check.row.line)
        if first == check.row.line:
            return False
        said = {name: word() if callable(word) else word for name, word in words.items()}
        check.refuse(column, reason % {"line": first, **said}, "duplicate")
        return True

    def __contains__(self, key: object) -> bool:
        return key in self.lines

    def __iter__(self) -> Iterator[object]:
        return iter(self.lines)


# Cities ---------------------------------------------------------------------------------------


@transaction.atomic
def cities_import(
    *,
    name: str,
    data: bytes,
    programme: Programme,
    by: User | None,
    dry_run: bool = False,
    limits: UploadLimits | None = None,
) -> ImportSummary:
    """Create or update the cities of a file and their participation in ``programme``.

    The optional ``total_amount`` and ``first_tranche`` columns (yuan) give a city's own money;
    without them a new participation gets the programme's single sum, and a programme whose
    notice gives a range (2019) requires them."""
    _require_ministry(by)
    rows, errors = read_table(
        name, data, required=CITY_COLUMNS, optional=CITY_OPTIONAL_COLUMNS, limits=limits
    )
    reason = history_reason("cities_import", file=name, programme=programme.code)
    seen = FirstLines()
    good: list[tuple[Row, str, Decimal | None, Decimal | None]] = []
    for row in rows:
        check = RowCheck(row)
        code = check.city_code("code")
        for column, length in (("name_en", 100), ("name_zh", 50), ("province", 50)):
            check.name(column, max_length=length)
        amounts: dict[str, Decimal | None] = {
            column: check.number(column, places=2, limit=MAX_AMOUNT, text=None)
            if row.values.get(column, "")
            else None
            for column in CITY_OPTIONAL_COLUMNS
        }
        total, first = amounts["total_amount"], amounts["first_tranche"]
        if (total is None) != (first is None) and not any(
            e.column in CITY_OPTIONAL_COLUMNS for e in check.errors
        ):
            check.refuse(
                None,
                gettext("give both total_amount and first_tranche, or neither"),
                "amounts_in_pairs",
            )
        elif total is not None and first is not None:
            for field, why in amount_errors(programme=programme, total=total, first=first):
                check.refuse(field, why)
        if code:
            seen.repeated(
                check,
                code,
                column="code",
                reason=gettext("city %(code)s already appears on line %(line)s"),
                code=code,
            )
        errors += check.errors
        if check.ok:
            good.append((row, code, total, first))

    existing_cities = {c.code: c for c in City.objects.filter(code__in=list(seen))}
    participations = {
        p.city.code: p
        for p in Participation.objects.filter(programme=programme).select_related("city")
    }
    if not programme.has_fixed_amounts:
        for row, code, total, _first in good:
            if total is None and code not in participations:
                errors.append(
                    RowError(
                        row.line,
                        None,
                        gettext(
                            "programme %(programme)s has no single amount per city: give "
                            "total_amount and first_tranche"
                        )
                        % {"programme": programme.code},
                        "no_single_amount",
                    )
                )
    if errors:
        raise ImportRefused(name, errors)

    summary = ImportSummary()
    for row, code, total, first in good:
        fields = {column: row.values[column] for column in CITY_COLUMNS if column != "code"}
        city = existing_cities.get(code)
        city_changed = city is None
        if city is None:
            city = City(code=code, **fields)
        else:
            for field, value in fields.items():
                if getattr(city, field) != value:
                    setattr(city, field, value)
                    city_changed = True
        if city_changed:
            audited_save(city, by=by, reason=reason)

        participation = participations.get(code)
        participation_changed = participation is None
        if participation is None:
            participation = Participation(
                programme=programme,
                city=city,
                total_amount=total if total is not None else programme.total_amount_min,
                first_tranche=first if first is not None else programme.first_tranche_min,
            )
        elif (
            total is not None
            and first is not None
            and (participation.total_amount != total or participation.first_tranche != first)
        ):
            participation.total_amount, participation.first_tranche = total, first
            participation_changed = True
        if participation_changed:
            audited_save(participation, by=by, reason=reason)

        if code not in participations or code not in existing_cities:
            summary.created += 1
        elif city_changed or participation_changed:
            summary.updated += 1
        else:
            summary.unchanged += 1
    summary.dry_run = dry_run
    dry_run_end(dry_run)
    return summary


# Targets --------------------------------------------------------------------------------------


@transaction.atomic
def targets_import(
    *,
    name: str,
    data: bytes,
    programme: Programme,
    by: User | None,
    dry_run: bool = False,
    limits: UploadLimits | None = None,
) -> ImportSummary:
    """Set the targets cities committed to. A target below the national floor of the
    programme's current ruleset is refused."""
    _require_ministry(by)
    rows, errors = read_table(name, data, required=TARGET_COLUMNS, limits=limits)
    try:
        ruleset = ruleset_current(programme=programme)
    except NoRuleset as exc:
        raise ImportRefused(name, [RowError(0, None, str(exc), "no_ruleset")]) from exc
    rules = {rule.indicator.code: rule for rule in ruleset.rules.select_related("indicator")}
    catalogue = set(Indicator.objects.values_list("code", flat=True))
    participations = {
        p.city.code: p
        for p in Participation.objects.filter(programme=programme).select_related("city")
    }
    codes = {row.values.get("city_code", "") for row in rows}
    known_cities = set(City.objects.filter(code__in=codes).values_list("code", flat=True))
    seen = FirstLines()
    good: list[tuple[Participation, Indicator, Decimal]] = []
    for row in rows:
        check = RowCheck(row)
        code = check.city_code("city_code")
        participation = participations.get(code)
        if code and participation is None:
            if code in known_cities:
                check.refuse(
                    "city_code",
                    gettext("city %(code)s is not in programme %(programme)s")
                    % {"code": code, "programme": programme.code},
                    "not_in_programme",
                )
            else:
                check.refuse(
                    "city_code", gettext("unknown city %(code)s") % {"code": code}, "unknown_city"
                )
        indicator_code = check.required("indicator")
        rule = rules.get(indicator_code)
        if indicator_code and rule is None:
            if indicator_code in catalogue:
                check.refuse(
                    "indicator",
                    gettext("indicator %(code)s is not scored by ruleset %(ruleset)s")
                    % {"code": indicator_code, "ruleset": ruleset.label},
                    "not_scored",
                )
            else:
                check.refuse(
                    "indicator",
                    gettext("unknown indicator %(code)r") % {"code": indicator_code},
                    "unknown_indicator",
                )
        text = row.values.get("target", "")
        # A target of an unknown indicator is read as a rate would be; its row is refused anyway.
        places = (
            4 if rule is None else rule_kind(rule.kind).target_places(rule.indicator.decimal_places)
        )
        value = check.number("target", places=places, positive=True, limit=MAX_TARGET, text=text)
        refused = (
            target_row_error(given=text, floor=rule.floor, value=value, kind=rule.kind)
            if value is not None and rule is not None
            else None
        )
        if refused is not None:
            check.refuse("target", refused)
        if code and indicator_code:
            seen.repeated(
                check,
                (code, indicator_code),
                column=None,
                reason=gettext("duplicate of line %(line)s (%(row)s)"),
                row=f"{code} {indicator_code}",
            )
        errors += check.errors
        if check.ok and participation is not None and rule is not None and value is not None:
            good.append((participation, rule.indicator, value))
    if errors:
        raise ImportRefused(name, errors)

    existing = {
        (t.participation_id, t.indicator_id): t
        for t in Target.objects.filter(participation__programme=programme)
    }
    summary = ImportSummary()
    to_create: list[Target] = []
    to_update: list[Target] = []
    for participation, indicator, value in good:
        target = existing.get((participation.pk, indicator.pk))
        if target is None:
            to_create.append(Target(participation=participation, indicator=indicator, value=value))
        elif target.value != value:
            target.value = value
            to_update.append(target)
        else:
            summary.unchanged += 1
    reason = history_reason("targets_import", file=name, programme=programme.code)
    audited_bulk_create(to_create, Target, by=by, reason=reason)
    audited_bulk_update(to_update, Target, ["value"], by=by, reason=reason)
    summary.created, summary.updated = len(to_create), len(to_update)
    summary.dry_run = dry_run
    dry_run_end(dry_run)
    return summary


# Metrics --------------------------------------------------------------------------------------


class StoredValue(NamedTuple):
    """A stored value as the import's checks read it: a row, not a model object."""

    id: int
    city_id: int
    indicator_id: int
    year: int
    granularity: str
    number: int
    value: Decimal
    status: str
    report_id: int | None

    @property
    def key(self) -> tuple[int, int, int, str, int]:
        return (self.city_id, self.indicator_id, self.year, self.granularity, self.number)

    @property
    def period(self) -> Period:
        return Period(self.year, Granularity(self.granularity), self.number)


class ParsedMetric(NamedTuple):
    line: int
    city: City
    indicator: Indicator
    period: Period
    value: Decimal
    # (city, indicator, year, granularity, number): the stored value's key (``metric_key``).
    key: tuple[int, int, int, str, int]

    @property
    def city_id(self) -> int:
        return self.key[0]


def metric_key(city: City, indicator: Indicator, period: Period) -> tuple[int, int, int, str, int]:
    return (city.pk, indicator.pk, period.year, period.granularity.value, period.number)


def parse_metric_rows(
    rows: list[Row], *, cities: dict[str, City]
) -> tuple[list[ParsedMetric], list[RowError]]:
    """Every well-formed row of a metrics file, and why each other row is refused (unknown
    city or indicator, bad period, bad number, duplicate)."""
    every = {i.code: i for i in Indicator.objects.all()}
    indicators = {code: i for code, i in every.items() if i.reported}
    errors: list[RowError] = []
    seen = FirstLines()
    first_lines = seen.lines
    metrics: list[ParsedMetric] = []
    duplicate = gettext("duplicate of line %(line)s (%(row)s)")
    # What each distinct text of a column was read as, once a row holding it was accepted: a
    # file of 144,000 rows names a few hundred cities, ten indicators, a few dozen periods and
    # some thousand numbers. A row whose every text is known (and whose value is new) is taken
    # as it is; any other row is checked whole by ``RowCheck``, which says all that is wrong.
    # (Each check depends on its text alone, the number also on the indicator's places.) Each
    # is kept with its part of the key.
    known_cities: dict[str, tuple[City, tuple[int]]] = {}
    known_indicators: dict[str, tuple[Indicator, tuple[int], int]] = {}
    known_periods: dict[str, tuple[Period, tuple[int, str, int]]] = {}
    known_numbers: dict[tuple[str, int], Decimal] = {}
    for row in rows:
        texts = row.values
        try:
            known_city, city_key = known_cities[texts["city_code"]]
            known_indicator, indicator_key, known_places = known_indicators[texts["indicator"]]
            known_period, period_key = known_periods[texts["period"]]
            known_value = known_numbers[(texts["value"], known_places)]
        except KeyError:
            pass
        else:
            key: tuple[int, int, int, str, int] = city_key + indicator_key + period_key
            if key not in first_lines:
                first_lines[key] = row.line
                metrics.append(
                    ParsedMetric(
                        row.line, known_city, known_indicator, known_period, known_value, key
                    )
                )
                continue
        check = RowCheck(row)
        code = check.city_code("city_code")
        city = cities.get(code)
        if code and city is None:
            check.refuse(
                "city_code", gettext("unknown city %(code)s") % {"code": code}, "unknown_city"
            )
        indicator_code = check.required("indicator")
        indicator = indicators.get(indicator_code)
        if indicator_code and indicator is None:
            if indicator_code in every:
                check.refuse(
                    "indicator",
                    gettext(
                        "%(code)s is not reported as a value: it is scored from the money "
                        "spent or by the expert panel"
                    )
                    % {"code": indicator_code},
                    "not_reported",
                )
            else:
                check.refuse(
                    "indicator",
                    gettext("unknown indicator %(code)r") % {"code": indicator_code},
                    "unknown_indicator",
                )
        period: Period | None = None
        period_text = check.required("period")
        if period_text:
            try:
                period = Period.parse(period_text)
            except PeriodError:
                check.refuse("period", period_error(period_text))
        places = indicator.decimal_places if indicator is not None else 2
        value = check.number("value", places=places, limit=MAX_VALUE, text=None)
        if not check.ok or city is None or indicator is None or period is None or value is None:
            errors += check.errors
            continue
        metric = ParsedMetric(
            row.line, city, indicator, period, value, metric_key(city, indicator, period)
        )
        known_cities[code] = (city, metric.key[:1])
        known_indicators[indicator_code] = (indicator, metric.key[1:2], places)
        known_periods[period_text] = (period, metric.key[2:])
        known_numbers[(texts.get("value", ""), places)] = value
        if seen.repeated(
            check,
            metric.key,
            column=None,
            reason=duplicate,
            row=partial("{} {} {}".format, code, indicator_code, period),
        ):
            errors += check.errors
            continue
        metrics.append(metric)

    return metrics, errors


@collector_paused()
@transaction.atomic
def metrics_import(
    *,
    name: str,
    data: bytes,
    approve: bool,
    by: User | None,
    dry_run: bool = False,
    limits: UploadLimits | None = None,
) -> ImportSummary:
    """Record metric values: submitted (awaiting review), or approved with ``approve``.

    An approved value changes only through an approved load; the change is kept in the value's
    history (who, when, old and new value)."""
    _require_ministry(by)
    rows, errors = read_table(
        name, data, required=METRIC_COLUMNS, optional=METRIC_OPTIONAL_COLUMNS, limits=limits
    )
    codes = {row.values.get("city_code", "") for row in rows}
    # Lock the cities of the file so that a concurrent load cannot slip a clashing granularity
    # in between the check below and the write.
    cities = {c.code: c for c in City.objects.select_for_update().filter(code__in=codes)}
    metrics, row_errors = parse_metric_rows(rows, cities=cities)
    errors += row_errors
    years = {m.key[2] for m in metrics}
    # The stored values as plain rows (a model object is made only for a value that changes).
    stored = {
        v.key: v
        for v in map(
            StoredValue._make,
            # Unordered: the model's order joins two tables and sorts every row (on disk, for
            # a large file), and nothing here needs it.
            MetricValue.objects.filter(city__in=[c.pk for c in cities.values()], year__in=years)
            .order_by()
            .values_list(*StoredValue._fields),
        )
    }
    errors += mixed_granularity_errors(metrics, stored.values())
    errors += _workflow_errors(metrics, stored)
    if not approve:
        for metric in metrics:
            current = stored.get(metric.key)
            if (
                current is not None
                and current.status == MetricValue.Status.APPROVED
                and current.value != metric.value
            ):
                errors.append(
                    RowError(
                        metric.line,
                        "value",
                        gettext(
                            "%(value)s would change the approved value %(approved)s; only an "
                            "approved load (--approve) may change an approved value"
                        )
                        % {"value": metric.value, "approved": current.value},
                    )
                )
    if errors:
        raise ImportRefused(name, errors)

    now = timezone.now()
    summary = ImportSummary()
    to_create: list[ParsedMetric] = []
    changes: dict[int, Decimal] = {}
    for metric in metrics:
        known = stored.get(metric.key)
        if known is None:
            to_create.append(metric)
            continue
        changed = known.value != metric.value
        newly_approved = approve and known.status != MetricValue.Status.APPROVED
        if not changed and not newly_approved:
            summary.unchanged += 1
            continue
        changes[known.id] = metric.value
    found = MetricValue.objects.in_bulk(list(changes)) if changes else {}
    to_update = [found[pk] for pk in changes]  # in the file's order
    for value in to_update:
        value.value = changes[value.pk]
        if approve:
            value.status = MetricValue.Status.APPROVED
            value.approved_by = by
            value.approved_at = now
        else:
            value.status = MetricValue.Status.SUBMITTED
            value.submitted_by = by
            value.submitted_at = now

    reason = history_reason("metrics_import_approved" if approve else "metrics_import", file=name)
    _create_values(to_create, approve=approve, by=by, now=now, reason=reason)
    audited_bulk_update(
        to_update,
        MetricValue,
        ["value", "status", "submitted_by", "submitted_at", "approved_by", "approved_at"],
        by=by,
        reason=reason,
    )
    summary.created, summary.updated = len(to_create), len(to_update)
    summary.dry_run = dry_run
    dry_run_end(dry_run)
    return summary


def _create_values(
    metrics: list[ParsedMetric], *, approve: bool, by: User | None, now: datetime, reason: str
) -> None:
    """Insert new values with their history rows ("+", who, when, why) and ledger entries, in
    a few statements whatever their number (``audit.audited_insert_rows``)."""
    if not metrics:
        return
    user_id = by.pk if by is not None else None
    rows = [
        {
            "city_id": m.key[0],
            "indicator_id": m.key[1],
            "year": m.key[2],
            "granularity": m.key[3],
            "number": m.key[4],
            "value": m.value,
            "status": MetricValue.Status.APPROVED if approve else MetricValue.Status.SUBMITTED,
            "submitted_by_id": user_id,
            "submitted_at": now,
            "approved_by_id": user_id if approve else None,
            "approved_at": now if approve else None,
        }
        for m in metrics
    ]
    audited_insert_rows(MetricValue, rows, by=by, reason=reason, at=now)


def _workflow_errors(
    metrics: list[ParsedMetric], stored: dict[tuple[int, int, int, str, int], StoredValue]
) -> list[RowError]:
    """A file does not overtake the reporting workflow: a value in a city's report that is not
    approved changes through that report, a period closed by a finalised evaluation does not
    change at all, and a period that has not ended is not reported yet."""
    errors: list[RowError] = []
    reports = {
        r.pk: r
        for r in Report.objects.filter(
            pk__in={v.report_id for v in stored.values() if v.report_id is not None}
        )
    }
    for metric in metrics if reports else ():
        current = stored.get(metric.key)
        if current is None or current.report_id is None:
            continue
        report = reports[current.report_id]
        if not REPORT.state(report.status).final:
            errors.append(
                RowError(
                    metric.line,
                    "value",
                    gettext(
                        "%(code)s for %(period)s is in the city's report #%(report)s, which is "
                        "%(status)s: it changes through that report"
                    )
                    % {
                        "code": metric.indicator.code,
                        "period": metric.period,
                        "report": report.pk,
                        "status": REPORT.word(report.status),
                    },
                )
            )
    closed = ClosedPeriods({m.city_id for m in metrics})
    today = timezone.localdate()
    # A file names a few dozen periods for many cities. Mostly no city of it has a period
    # closed and every period has ended: then there is nothing to say of any row.
    if not closed.any() and not any(
        period_not_ended_error(period=period, today=today) for period in {m.period for m in metrics}
    ):
        return errors
    # Otherwise each city's period is asked once.
    reasons: dict[tuple[int, Period], str | None] = {}
    for metric in metrics:
        asked = (metric.city.pk, metric.period)
        if asked in reasons:
            why = reasons[asked]
        else:
            why = closed.reason(city_id=metric.city.pk, period=metric.period)
            why = reasons[asked] = why or period_not_ended_error(period=metric.period, today=today)
        if why is not None:
            errors.append(RowError(metric.line, "period", why))
    return errors


class StoredPeriod(Protocol):
    """A stored value's city, indicator and period (a model object or a row)."""

    @property
    def city_id(self) -> int: ...
    @property
    def indicator_id(self) -> int: ...
    @property
    def year(self) -> int: ...
    @property
    def granularity(self) -> str: ...
    @property
    def period(self) -> Period: ...


def mixed_granularity_errors(
    metrics: list[ParsedMetric], stored: Iterable[StoredPeriod]
) -> list[RowError]:
    """The file's rows that would mix granularities (``inputs.mixed_granularity``), counting
    the values already stored."""
    # ``mixed_granularity`` judges each city, indicator and year on its own: only those where
    # the file and the stored values name two granularities or more are handed to it (the
    # same refusals, without a figure made of every row of a large file).
    stored = list(stored)
    # Each (city, indicator, year, granularity) once: the file's (its key's first four), and
    # the stored ones of the same city, indicator and year.
    named = {m.key[:4] for m in metrics}
    groups = {kind[:3] for kind in named}
    named.update(
        kind
        for kind in {(v.city_id, v.indicator_id, v.year, str(v.granularity)) for v in stored}
        if kind[:3] in groups
    )
    kinds: dict[tuple[int, int, int], set[str]] = defaultdict(set)
    for kind in named:
        kinds[kind[:3]].add(kind[3])
    mixed = {group for group, seen in kinds.items() if len(seen) > 1}
    if not mixed:
        return []
    metrics = [m for m in metrics if (m.city.pk, m.indicator.pk, m.period.year) in mixed]
    codes = {m.city.pk: m.city.code for m in metrics}
    indicators = {m.indicator.pk: m.indicator.code for m in metrics}
    new = [Figure(m.city.code, m.indicator.code, m.period, str(m.line)) for m in metrics]
    lines = {figure: m.line for figure, m in zip(new, metrics, strict=True)}
    kept = [
        Figure(codes[v.city_id], indicators[v.indicator_id], v.period)
        for v in stored
        if (v.city_id, v.indicator_id, v.year) in mixed
    ]
    return [
        RowError(lines[figure], "period", why)
        for figure, why in mixed_granularity(new, kept).items()
    ]
