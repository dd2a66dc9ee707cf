"""The pure scoring core: no Django, no clock, Decimal throughout. See ``engine.evaluate``."""

from .digest import input_digest, outcome_digest
from .engine import (
    EvaluationError,
    InputError,
    NothingToEvaluate,
    RulesetError,
    evaluate,
    years_elapsed,
)
from .periods import Granularity, Period, PeriodError
from .rules import RULE_KINDS, annual_value, rule_kind
from .texts import Rate, Text
from .totals import city_totals, last_ended_month, summarise
from .types import (
    CityInput,
    CityOutcome,
    Decision,
    GradeBand,
    IndicatorOutcome,
    IndicatorRule,
    Observation,
    PathPoint,
    PeriodTotal,
    ProgrammeOutcome,
    ProgrammeSpec,
    RulesetSpec,
    Status,
    StillNeeded,
    TargetSource,
)

__all__ = [
    "RULE_KINDS",
    "CityInput",
    "CityOutcome",
    "Decision",
    "EvaluationError",
    "GradeBand",
    "Granularity",
    "IndicatorOutcome",
    "IndicatorRule",
    "InputError",
    "NothingToEvaluate",
    "Observation",
    "PathPoint",
    "Period",
    "PeriodError",
    "PeriodTotal",
    "ProgrammeOutcome",
    "ProgrammeSpec",
    "Rate",
    "RulesetError",
    "RulesetSpec",
    "Status",
    "StillNeeded",
    "TargetSource",
    "Text",
    "annual_value",
    "city_totals",
    "evaluate",
    "input_digest",
    "last_ended_month",
    "outcome_digest",
    "rule_kind",
    "summarise",
    "years_elapsed",
]
