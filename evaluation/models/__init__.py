"""The programme's data in its own words, one module per subdomain: cities, programmes and
targets, rulesets, reporting, runs and decisions, people, and the outbox with its notices.
Everything is re-exported here, so ``from evaluation.models import Report`` keeps working and
the app's models stay one app."""

from evaluation.exceptions import FrozenRulesetError
from evaluation.models import (
    labels,  # noqa: F401  (translatable names, see its docstring)
    labels_parts,  # noqa: F401  (the same, for the optional parts of a ruleset)
    labels_review,  # noqa: F401  (the same, for the self-evaluation and provincial review)
    tokens,  # noqa: F401  (API tokens' history)
)
from evaluation.models.checks import SpotCheck, SpotCheckItem
from evaluation.models.cities import City
from evaluation.models.evidence import Evidence, ValueReturn
from evaluation.models.execution import RunChunk
from evaluation.models.ledger import LedgerEntry
from evaluation.models.money import Expenditure, SpendingPlan
from evaluation.models.monitoring import PaymentSuspension
from evaluation.models.outbox import OfficialNotice, OutboxTask, ReviewNotice, UndeliveredEmail
from evaluation.models.panel import ExpertProfile, PanelAssignment, TaskChoice, TaskScore
from evaluation.models.people import OfficialProfile, RoleChange
from evaluation.models.programmes import (
    Indicator,
    OfficialAssignment,
    Participation,
    Programme,
    Target,
)
from evaluation.models.rectification import RectificationItem, RectificationReminder
from evaluation.models.reporting import (
    PERIOD_VALID,
    CityReminder,
    MetricValue,
    PeriodFields,
    Reminder,
    Report,
    ReportComment,
)
from evaluation.models.review import (
    ProvincialOpinion,
    ProvincialReviewer,
    SelfEvaluation,
    SelfEvaluationLine,
)
from evaluation.models.rulesets import (
    GradeBand,
    IndicatorRule,
    Ruleset,
    RulesetPart,
    RulesetTask,
)
from evaluation.models.runs import (
    CityResult,
    EvaluationRun,
    IndicatorResult,
    PanelMarkResult,
    TrancheDecision,
)
from evaluation.vocabulary import Grade, RuleKind

__all__ = [
    "PERIOD_VALID",
    "City",
    "CityReminder",
    "CityResult",
    "EvaluationRun",
    "Evidence",
    "Expenditure",
    "ExpertProfile",
    "FrozenRulesetError",
    "Grade",
    "GradeBand",
    "Indicator",
    "IndicatorResult",
    "IndicatorRule",
    "LedgerEntry",
    "MetricValue",
    "OfficialAssignment",
    "OfficialNotice",
    "OfficialProfile",
    "OutboxTask",
    "PanelAssignment",
    "PanelMarkResult",
    "Participation",
    "PaymentSuspension",
    "PeriodFields",
    "Programme",
    "ProvincialOpinion",
    "ProvincialReviewer",
    "RectificationItem",
    "RectificationReminder",
    "Reminder",
    "Report",
    "ReportComment",
    "ReviewNotice",
    "RoleChange",
    "RuleKind",
    "Ruleset",
    "RulesetPart",
    "RulesetTask",
    "RunChunk",
    "SelfEvaluation",
    "SelfEvaluationLine",
    "SpendingPlan",
    "SpotCheck",
    "SpotCheckItem",
    "Target",
    "TaskChoice",
    "TaskScore",
    "TrancheDecision",
    "UndeliveredEmail",
    "ValueReturn",
]
