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
    # The budget's planned spending P: the city's spending plan, or (where it planned nothing
    # for the years counted) its first tranche pro-rated to the years elapsed.
    PLAN = "plan"
    TRANCHE = "tranche"
    # A task is held to the panel's full marks (1).
    PANEL = "panel"


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
    # An optional task's rule: ``weight`` is the optional tasks' one weight W, shared equally
    # by the ``shared_by`` tasks the city chose (None: the rule's own weight, unshared).
    shared_by: int | None = None


@dataclass(frozen=True, slots=True)
class Task:
    """A task of the implementation plan, scored by the expert panel: a compulsory one (the
    same for every city) with its own ``weight``, or an optional one, chosen by each city, that
    shares the ruleset's ``optional_task_weight`` with the other tasks the city chose."""

    code: str
    compulsory: bool
    weight: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class GradeBand:
    """A grade reached by a total of at least ``min_score``, releasing ``release_share``
    (0 to 1) of the city's remaining amount."""

    grade: str
    min_score: Decimal
    release_share: Decimal


@dataclass(frozen=True, slots=True)
class SpotCheckPart:
    """The verified-values part of a ruleset: a verified value within ``tolerance`` (a
    fraction of the claimed value) lets the claimed value stand; beyond it the verified value
    replaces the claimed one and ``deduction`` points are taken from the indicator once."""

    tolerance: Decimal = Decimal("0.05")
    deduction: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class RulesetSpec:
    """A ruleset: the indicators' rules (a rule of kind ``budget_execution`` among them when the
    ruleset scores the money spent), the grade bands, and the tasks the expert panel scores
    (``optional_task_weight`` shared by each city's chosen optional tasks)."""

    label: str
    indicators: tuple[IndicatorRule, ...]
    bands: tuple[GradeBand, ...]
    tasks: tuple[Task, ...] = ()
    optional_task_weight: Decimal = Decimal(0)
    # None: the ruleset has no verified-values part and ignores spot checks.
    spot_checks: SpotCheckPart | None = None


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
class VerifiedValue:
    """A checker's figure ``verified`` for a city's approved value ``claimed`` of one indicator
    and period (the latest spot check of that value)."""

    indicator: str
    period: Period
    claimed: Decimal
    verified: Decimal


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """A spot check as an evaluation counted it: ``stands`` when the claimed value stood (within
    the tolerance), else the verified value replaced it."""

    period: Period
    claimed: Decimal
    verified: Decimal
    stands: bool


@dataclass(frozen=True, slots=True)
class PanelScore:
    """One expert's score of one of a city's tasks: a fraction from 0 to 1 (two decimals)."""

    task: str
    expert: str
    score: Decimal


@dataclass(frozen=True, slots=True)
class CityInput:
    """A city's money, committed targets and approved values. Values come either one by one
    (``observations``) or already summed by the database (``totals``); the engine sums the
    former into the latter itself, so the two are evaluated alike.

    What the optional parts of a ruleset read, given only when the ruleset has them: the
    city's ``first_tranche`` (yuan), its planned spending per year of the construction years
    (``plan``: (year, yuan)), its approved expenditure summed per year and granularity like the
    values (``expenditure``: each ``PeriodTotal`` of the indicator ``budget_execution``, periods
    after the baseline year that ended by the as-of date), the experts' ``panel_scores`` of its
    tasks, and the optional tasks it chose (``optional_tasks``)."""

    city: str
    remaining_amount: Decimal
    targets: tuple[tuple[str, Decimal], ...] = ()
    observations: tuple[Observation, ...] = ()
    totals: tuple[PeriodTotal, ...] = ()
    first_tranche: Decimal | None = None
    plan: tuple[tuple[int, Decimal], ...] = ()
    expenditure: tuple[PeriodTotal, ...] = ()
    panel_scores: tuple[PanelScore, ...] = ()
    optional_tasks: tuple[str, ...] = ()
    # The spot checks of its values, given only when the ruleset has the verified-values part.
    verified: tuple[VerifiedValue, ...] = ()


@dataclass(frozen=True, slots=True)
class PanelMark:
    """An expert's score as the panel counted it: ``counted`` is False for the highest and the
    lowest score dropped from a panel of five or more."""

    expert: str
    score: Decimal
    counted: bool


@dataclass(frozen=True, slots=True)
class IndicatorOutcome:
    """The assessment of one indicator for one city, with every number used and why.

    ``actual`` and ``target`` are written as the kind's ``actual_measure`` and ``target_measure``
    say: growth fractions (4 decimals) for growth indicators and counts (2 decimals; the target
    pro-rated) for cumulative ones. ``base_value``/``final_value`` are the annual values of the
    baseline and last elapsed year (growth) or ``final_value`` the cumulative total
    (cumulative), the approved expenditure (budget execution) or the number of experts who
    scored (a task, whose ``base_value`` is the number of optional tasks the city chose when
    it is one of them); ``panel`` holds a task's expert scores as the panel counted them."""

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
    panel: tuple[PanelMark, ...] = ()
    # The spot checks of values the indicator read, and the points deducted for a discrepancy.
    checks: tuple[CheckOutcome, ...] = ()
    deducted: Decimal = Decimal(0)

    @property
    def discrepancy(self) -> bool:
        """A verified value replaced a claimed one (programme-rules.md, "Verified values")."""
        return any(not check.stands for check in self.checks)


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
