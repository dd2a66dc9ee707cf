"""What goes into the engine and what comes out: frozen dataclasses of plain values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from .periods import Granularity, Period


class Status(StrEnum):
    MET = "met"
    PARTIAL = "partial"
    MISSED = "missed"
    NOT_ASSESSABLE = "not_assessable"


class Decision(StrEnum):
    RELEASE = "release"
    WITHHOLD = "withhold"


class TargetSource(StrEnum):
    COMMITTED = "committed"
    FLOOR = "floor"


@dataclass(frozen=True, slots=True)
class ProgrammeSpec:
    code: str
    baseline_year: int
    construction_years: int


@dataclass(frozen=True, slots=True)
class IndicatorRule:
    """One indicator of a ruleset. ``kind`` names a rule class in ``rules.RULE_KINDS``;
    ``floor`` is the national floor (a growth fraction, or a count over the whole programme)."""

    indicator: str
    kind: str
    floor: Decimal
    weight: Decimal


@dataclass(frozen=True, slots=True)
class GradeBand:
    """A grade reached by a total of at least ``min_score``, releasing ``release_share``
    (0 to 1) of the city's remaining amount."""

    grade: str
    min_score: Decimal
    release_share: Decimal


@dataclass(frozen=True, slots=True)
class RulesetSpec:
    label: str
    indicators: tuple[IndicatorRule, ...]
    bands: tuple[GradeBand, ...]


@dataclass(frozen=True, slots=True)
class Observation:
    """One approved value of a city for an indicator and period."""

    indicator: str
    period: Period
    value: Decimal


@dataclass(frozen=True, slots=True)
class PeriodTotal:
    """The approved values of one indicator in one year at one granularity, summed, and which
    periods they cover (``numbers``: 0 for the annual figure, 1-4 quarters, 1-12 months)."""

    indicator: str
    year: int
    granularity: Granularity
    total: Decimal
    numbers: frozenset[int]


@dataclass(frozen=True, slots=True)
class CityInput:
    """A city's money, committed targets and approved values. Values come either one by one
    (``observations``) or already summed by the database (``totals``); the engine sums the
    former into the latter itself, so the two are evaluated alike."""

    city: str
    remaining_amount: Decimal
    targets: tuple[tuple[str, Decimal], ...] = ()
    observations: tuple[Observation, ...] = ()
    totals: tuple[PeriodTotal, ...] = ()


@dataclass(frozen=True, slots=True)
class IndicatorOutcome:
    """The assessment of one indicator for one city, with every number used and why.

    ``actual`` and ``target`` are written as the kind's ``actual_measure`` and ``target_measure``
    say: growth fractions (4 decimals) for growth indicators and counts (2 decimals; the target
    pro-rated) for cumulative ones. ``base_value``/``final_value`` are the annual values of the
    baseline and last elapsed year (growth) or ``final_value`` the cumulative total
    (cumulative)."""

    indicator: str
    kind: str
    status: Status
    weight: Decimal
    full_target: Decimal
    target_source: TargetSource
    target: Decimal
    actual: Decimal | None
    attainment: Decimal
    points: Decimal
    reason: str
    base_value: Decimal | None = None
    final_value: Decimal | None = None


@dataclass(frozen=True, slots=True)
class CityOutcome:
    city: str
    score: Decimal
    grade: str
    release_share: Decimal
    remaining_amount: Decimal
    decision: Decision
    amount: Decimal
    reason: str
    indicators: tuple[IndicatorOutcome, ...] = field(default_factory=tuple)
    # The digest of this city's inputs (``digest.city_input_digest``).
    input_digest: str = ""

    @property
    def flagged(self) -> tuple[IndicatorOutcome, ...]:
        return tuple(i for i in self.indicators if i.status is Status.NOT_ASSESSABLE)


@dataclass(frozen=True, slots=True)
class ProgrammeOutcome:
    programme: str
    ruleset: str
    as_of_year_end: int
    years_elapsed: int
    cities: tuple[CityOutcome, ...]
    # The digest of everything the evaluation read (``digest.totals_digest``).
    input_digest: str = ""


@dataclass(frozen=True, slots=True)
class StillNeeded:
    """What an indicator still needs to be met at the evaluation date ``by``, as its kind
    counts it (``rules.RuleKind.still_needed``): ``required`` what is due by then (the
    cumulative total due, or the annual value the target year must reach), ``so_far`` what
    approved figures give towards it, ``needed`` the difference, never negative.
    ``required`` and ``needed`` are None when they cannot be known yet (a growth indicator
    without a complete baseline year, or no year will have elapsed by ``by``); ``target_year``
    is the year whose figures count, for a kind that counts one year only."""

    indicator: str
    kind: str
    by: dt.date
    target_year: int | None
    required: Decimal | None
    so_far: Decimal
    needed: Decimal | None

    @property
    def is_met(self) -> bool:
        return self.needed is not None and self.needed == 0


@dataclass(frozen=True, slots=True)
class PathPoint:
    """One year of an indicator's chart: what approved figures give (None: nothing to show that
    year) against the path to the target."""

    year: int
    actual: Decimal | None
    path: Decimal | None
