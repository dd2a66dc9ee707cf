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
from .rules import RULE_KINDS, annual_value
from .totals import city_totals, last_ended_month, summarise
from .types import (
    CityInput,
    CityOutcome,
    Decision,
    GradeBand,
    IndicatorOutcome,
    IndicatorRule,
    Observation,
    PeriodTotal,
    ProgrammeOutcome,
    ProgrammeSpec,
    RulesetSpec,
    Status,
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
    "Period",
    "PeriodError",
    "PeriodTotal",
    "ProgrammeOutcome",
    "ProgrammeSpec",
    "RulesetError",
    "RulesetSpec",
    "Status",
    "TargetSource",
    "annual_value",
    "city_totals",
    "evaluate",
    "input_digest",
    "last_ended_month",
    "outcome_digest",
    "summarise",
    "years_elapsed",
]
