"""The programme's input rules, each written once: what a city's figures, targets and money
must look like, when a period is due, late or closed.

The import services, the reporting workflow, the admin forms, the API and the portal all call
these functions, so a rule cannot say one thing to a file and another to a form. Each returns
the reason in words (or None when the input is fine), and the caller puts it where its user
looks: a file row, a request field, a form field. The scoring rules (how a city is scored)
live in the pure core, ``evaluation/scoring/``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from evaluation.exceptions import Reason
from evaluation.models import EvaluationRun, Participation, Programme, Report
from evaluation.scoring import Period, rule_kind
from evaluation.vocabulary import say
from evaluation.workflow import REPORT
from evaluation.writers import FORMULA_STARTS

# Division codes -------------------------------------------------------------------------------

DIVISION_CODE = re.compile(r"^[0-9]{6}$")


def division_code_error(code: str) -> str | None:
    """A city is named by its 6-digit administrative division code (440300), nothing else."""
    if DIVISION_CODE.match(code):
        return None
    return Reason(
        gettext("%(code)r is not a 6-digit administrative division code") % {"code": code},
        "division_code",
    )


# Periods --------------------------------------------------------------------------------------


def period_error(text: str) -> str:
    """Why ``text`` is not a period, in the active language (the pure core's ``PeriodError``
    is English)."""
    return Reason(
        gettext(
            "%(text)r is not a period: use a year (2019), a quarter (2020-Q3) or a month (2020-07)"
        )
        % {"text": text},
        "not_a_period",
    )


# Numbers --------------------------------------------------------------------------------------

# The largest numbers the columns hold: MetricValue.value is DecimalField(16, 2), Target.value
# and the amounts are DecimalField(14, 4) and (14, 2).
MAX_VALUE = Decimal("99999999999999.99")
MAX_TARGET = Decimal("9999999999.9999")
MAX_AMOUNT = Decimal("999999999999.99")


# Thousands grouped by commas, as the pages and spreadsheets write them: 1,200 or 30,000,000.50
# (a comma anywhere else is not a number: 1,20 or 1200,5).
GROUPED = re.compile(r"^-?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?$")


def parse_number(
    text: str, *, places: int, positive: bool = False, limit: Decimal = MAX_VALUE
) -> Decimal:
    """A non-negative decimal with at most ``places`` decimals, its thousands grouped by commas
    or not (``1,200`` is 1200); ``ValueError`` says what is wrong in words for the person who
    wrote it, in the active language."""
    if text == "":
        raise ValueError(Reason(gettext("a value is required"), "required"))
    try:
        number = Decimal(text.replace(",", "") if "," in text and GROUPED.match(text) else text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ValueError(
            Reason(gettext("%(text)r is not a number") % {"text": text}, "not_a_number")
        )
    if number.is_zero():
        # "-0" is zero: kept without its sign, as the database keeps it (a value's history and
        # ledger entry must say what is stored).
        number = number.copy_abs()
    if number < 0:
        raise ValueError(
            Reason(
                gettext("%(text)s is negative; values are never negative") % {"text": text},
                "negative",
            )
        )
    if positive and number == 0:
        raise ValueError(Reason(gettext("must be above 0"), "not_positive"))
    if "." in text or "e" in text or "E" in text:
        exponent = number.normalize().as_tuple().exponent
        decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    else:
        decimals = 0  # digits only (grouped or not): a whole number
    if decimals > places:
        if places == 0:
            raise ValueError(
                Reason(
                    gettext("%(text)s is not a whole number; counts are whole numbers")
                    % {"text": text},
                    "not_whole",
                )
            )
        raise ValueError(
            Reason(
                gettext("%(text)s has more than %(places)d decimals")
                % {"text": text, "places": places},
                "too_many_decimals",
            )
        )
    if number > limit:
        raise ValueError(
            Reason(
                gettext("%(text)s is too large (at most %(limit)s)")
                % {"text": text, "limit": limit},
                "too_large",
            )
        )
    return number


# Money ----------------------------------------------------------------------------------------


def amount_errors(
    *, programme: Programme, total: Decimal | None, first: Decimal | None
) -> list[tuple[str, str]]:
    """A city's total and first tranche lie within its programme's range (one sum for 2018
    and 2020, a range for 2019) and the first tranche is not above the total: every field at
    fault (``total_amount``, ``first_tranche``) with its reason."""
    errors: list[tuple[str, str]] = []
    for field, value, low, high in (
        ("total_amount", total, programme.total_amount_min, programme.total_amount_max),
        ("first_tranche", first, programme.first_tranche_min, programme.first_tranche_max),
    ):
        if value is not None and not low <= value <= high:
            errors.append(
                (
                    field,
                    Reason(
                        gettext("outside programme %(programme)s's range %(low)s-%(high)s")
                        % {"programme": programme.code, "low": low, "high": high},
                        "outside_range",
                    ),
                )
            )
    if total is not None and first is not None and first > total:
        errors.append(
            (
                "first_tranche",
                Reason(gettext("the first tranche exceeds the total"), "first_tranche_above_total"),
            )
        )
    return errors


# Targets --------------------------------------------------------------------------------------


def target_floor_error(*, floor: Decimal, value: Decimal, kind: str) -> str | None:
    """Why a committed target of a rule of kind ``kind`` cannot stand, beside the field it was
    typed in, or None. Its kind decides (``RuleKind.target_refusal``: never below the national
    floor, "以上" including the floor itself)."""
    refusal = rule_kind(kind).target_refusal(target=value, floor=floor)
    if refusal is None:
        return None
    return Reason(gettext(refusal.in_field) % {"floor": f"{floor.normalize():f}"}, refusal.code)


def target_row_error(*, given: str, floor: Decimal, value: Decimal, kind: str) -> str | None:
    """Why a committed target cannot stand, for a file's row: the target as ``given`` and the
    floor in words."""
    refusal = rule_kind(kind).target_refusal(target=value, floor=floor)
    if refusal is None:
        return None
    return Reason(
        gettext(refusal.in_row)
        % {"target": given, "floor": floor_in_words(kind=kind, floor=floor)},
        refusal.code,
    )


def floor_in_words(*, kind: str, floor: Decimal) -> str:
    """The national floor as its kind words it (its figures already written): a growth floor
    also as a percentage, ``0.3 (30% growth)``."""
    return say(rule_kind(kind).floor_words(floor), str)


# Granularity ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A figure that is, or would be, recorded: its city, indicator (None for a city's report
    as a whole) and period, and where it comes from (a file's line number, a request field)."""

    city: str
    indicator: str | None
    period: Period
    source: str = ""


def mixed_granularity(
    new: Sequence[Figure], stored: Iterable[Figure], *, sources: str | None = None
) -> dict[Figure, str]:
    """One granularity per city, indicator and year: an annual figure, or quarters, or months.
    For every new figure that would mix them, counting the stored ones, the reason, which names
    the new figures involved (``sources``: how to call them, "lines" unless told) and the stored
    periods."""
    new_groups: dict[tuple[str, str | None, int], list[Figure]] = defaultdict(list)
    for figure in new:
        new_groups[(figure.city, figure.indicator, figure.period.year)].append(figure)
    stored_groups: dict[tuple[str, str | None, int], list[Figure]] = defaultdict(list)
    for figure in stored:
        stored_groups[(figure.city, figure.indicator, figure.period.year)].append(figure)
    out: dict[Figure, str] = {}
    for (city, indicator, year), members in new_groups.items():
        kept = stored_groups.get((city, indicator, year), [])
        kinds = {str(f.period.granularity) for f in members} | {
            str(f.period.granularity) for f in kept
        }
        if len(kinds) < 2:
            continue
        rule = gettext("a year is reported as one annual figure, or quarters, or months")
        if indicator is None:
            other = sorted(
                {str(f.period.granularity) for f in kept} - {str(members[0].period.granularity)}
            )
            periods = ", ".join(sorted(f.period.label for f in kept))
            reason = gettext(
                "%(year)s is already reported by %(granularities)s (%(periods)s); %(rule)s"
            ) % {"year": year, "granularities": _and(other), "periods": periods, "rule": rule}
        else:
            named = ", ".join(f.source for f in members if f.source)
            called = sources or gettext("lines")
            where = [f"{called} {named}"] if named else []
            if kept:
                where.append(
                    gettext("already stored: %(periods)s")
                    % {"periods": ", ".join(sorted(f.period.label for f in kept))}
                )
            reason = gettext(
                "%(indicator)s of city %(city)s in %(year)s would mix %(granularities)s figures "
                "(%(where)s); %(rule)s"
            ) % {
                "indicator": indicator,
                "city": city,
                "year": year,
                "granularities": _and(sorted(kinds)),
                "where": "; ".join(where),
                "rule": rule,
            }
        for figure in members:
            out[figure] = Reason(reason, "mixed_granularity")
    return out


GRANULARITY_WORDS = {"year": _("year"), "quarter": _("quarter"), "month": _("month")}


def _and(granularities: Iterable[str]) -> str:
    """``month and quarter``, in the active language."""
    return gettext(" and ").join(str(GRANULARITY_WORDS.get(g, g)) for g in granularities)


# Periods --------------------------------------------------------------------------------------


def before_baseline_error(*, programme: Programme, period: Period) -> str | None:
    """A city reports from its programme's baseline year on; nothing earlier is owed or kept."""
    if period.year >= programme.baseline_year:
        return None
    return Reason(
        gettext("%(period)s is before the baseline year %(baseline)s of programme %(programme)s")
        % {"period": period, "baseline": programme.baseline_year, "programme": programme.code},
        "before_baseline",
    )


# One report per city and period --------------------------------------------------------------


def reported_elsewhere(
    *, participation: Participation, periods: Iterable[Period]
) -> dict[Period, str]:
    """One city, one period, one set of values: a city's figures of a period are its own,
    shared by every batch it takes part in (``MetricValue`` has a city, not a participation),
    so they are reported once. For each of ``periods`` that the city already reports in
    another of its participations, why it cannot be reported here too (one query)."""
    wanted = Q()
    for period in periods:
        wanted |= Q(year=period.year, granularity=str(period.granularity), number=period.number)
    if not wanted:
        return {}
    return {
        report.period: Reason(
            gettext(
                "%(city)s already reports %(period)s in programme %(programme)s (report "
                "#%(report)s, %(status)s): a city's figures of a period are one set, shared by "
                "every batch it takes part in; fill in that report"
            )
            % {
                "city": report.participation.city.code,
                "period": report.period,
                "programme": report.participation.programme.code,
                "report": report.pk,
                "status": REPORT.word(report.status),
            },
            "reported_elsewhere",
        )
        for report in Report.objects.filter(wanted, city_id=participation.city_id)
        .exclude(participation_id=participation.pk)
        .select_related("participation__city", "participation__programme")
    }


# Due dates and lateness -----------------------------------------------------------------------


def due_date(*, programme: Programme, period: Period) -> dt.date:
    """A period's report is due on the programme's due day (default the 15th) of the month
    after the period ends."""
    year, month = period.year, period.last_month + 1
    if month == 13:
        year, month = year + 1, 1
    day = min(programme.report_due_day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)


def is_late(*, due: dt.date, submitted_at: dt.datetime | None, today: dt.date) -> bool:
    """Submitted after its due date, or still not submitted once the date has passed."""
    if submitted_at is not None:
        return timezone.localdate(submitted_at) > due
    return today > due


# Closed periods -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClosingRun:
    run_id: int
    programme: str
    as_of: dt.date
    finalised_on: dt.date


class ClosedPeriods:
    """Which periods of some cities are closed, read in one query.

    Values belong to a city, not to one of its programmes: a finalised official evaluation of
    any programme the city takes part in closes every period that ended by its as-of date, to
    officials' reports and to file loads alike (README, "Calls made")."""

    def __init__(self, city_ids: Iterable[int]) -> None:
        self._runs: dict[int, list[ClosingRun]] = defaultdict(list)
        for city_id, run_id, programme, as_of, finalised_at in (
            EvaluationRun.objects.filter(
                kind=EvaluationRun.Kind.OFFICIAL,
                finalised_at__isnull=False,
                programme__participations__city_id__in=set(city_ids),
            )
            .values_list(
                "programme__participations__city_id",
                "id",
                "programme__code",
                "as_of",
                "finalised_at",
            )
            .order_by("as_of", "id")
        ):
            self._runs[city_id].append(
                ClosingRun(run_id, programme, as_of, timezone.localdate(finalised_at))
            )

    def any(self) -> bool:
        """Whether any period of these cities is closed."""
        return bool(self._runs)

    def reason(self, *, city_id: int, period: Period) -> str | None:
        """Why nobody may change the city's figures of ``period`` any more (the first run that
        closed it), or None while it is open."""
        for run in self._runs.get(city_id, ()):
            if period.end <= run.as_of:
                return Reason(
                    gettext(
                        "%(period)s is closed: the programme %(programme)s evaluation as of "
                        "%(as_of)s (run #%(run)s) was finalised on %(finalised_on)s, "
                        "so its figures can no longer change"
                    )
                    % {
                        "period": period,
                        "programme": run.programme,
                        "as_of": run.as_of.isoformat(),
                        "run": run.run_id,
                        "finalised_on": run.finalised_on.isoformat(),
                    },
                    "period_closed",
                )
        return None


def period_closed_reason(*, city_id: int, period: Period) -> str | None:
    """Why the city's figures of ``period`` can no longer change, or None (see
    ``ClosedPeriods``)."""
    return ClosedPeriods([city_id]).reason(city_id=city_id, period=period)


def period_has_ended(*, period: Period, today: dt.date) -> bool:
    """A period can be reported once it has ended: a month after its last day."""
    return period.end < today


def period_not_ended_error(*, period: Period, today: dt.date) -> str | None:
    """A period that has not ended (this month, a month in 2099) cannot be reported: its
    figures are not known yet."""
    if period_has_ended(period=period, today=today):
        return None
    return gettext(
        "%(period)s has not ended yet: a period is reported once it is over (from %(from)s)"
    ) % {"period": period, "from": (period.end + dt.timedelta(days=1)).isoformat()}


# Names and cells ------------------------------------------------------------------------------

# Characters that are never part of a name or a figure: the C0 and C1 controls (a line break,
# NUL, escape…), DEL, and the Unicode line and paragraph separators. A line break in a city's
# name would break every email header it is put in.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
CONTROL_NAMES = {
    "\n": _("a line break"),
    "\r": _("a carriage return"),
    "\t": _("a tab"),
    "\x00": _("a NUL byte"),
}


def control_character_error(text: str) -> str | None:
    """Why ``text`` cannot be a name or a value: it holds a control character."""
    found = CONTROL.search(text)
    if found is None:
        return None
    char = found.group()
    return gettext("holds a control character (%(name)s, U+%(code)s), which no value may hold") % {
        "name": CONTROL_NAMES.get(char, gettext("an invisible control character")),
        "code": f"{ord(char):04X}",
    }


def formula_error(text: str) -> str | None:
    """A name that starts like a spreadsheet formula (``=HYPERLINK(…)``, ``+``, ``-``, ``@``) is
    refused: every spreadsheet that lists it would be asked to run it."""
    if not text.startswith(FORMULA_STARTS):
        return None
    return gettext(
        "may not start with %(char)s: spreadsheets read that as the start of a formula"
    ) % {"char": text[0]}


def name_error(text: str) -> str | None:
    """Why ``text`` cannot be the name of a city, a province or an indicator (or a unit word):
    a control character, a formula's first character, or a character that no installed font
    can draw (documents and charts would show an empty box, or fail)."""
    why = control_character_error(text) or formula_error(text.strip())
    if why is not None:
        return why
    from evaluation.fonts import missing_glyphs

    missing = missing_glyphs(text)
    if missing:
        return gettext("%(chars)s cannot be shown: no installed font has %(it)s; leave it out") % {
            "chars": " ".join(f"{char} (U+{ord(char):04X})" for char in missing),
            "it": gettext("this character") if len(missing) == 1 else gettext("these characters"),
        }
    return None
