"""The translatable names of the optional parts of a ruleset (the money planned and spent, the
tasks and their expert panel, the dual monitoring), set as ``labels`` sets the others'."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from evaluation.models.labels import PEOPLE_AND_TIMES, PERIOD, label
from evaluation.models.money import Expenditure, SpendingPlan
from evaluation.models.monitoring import PaymentSuspension
from evaluation.models.panel import ExpertProfile, PanelAssignment, TaskChoice, TaskScore
from evaluation.models.programmes import Indicator
from evaluation.models.rulesets import Ruleset, RulesetTask
from evaluation.models.runs import IndicatorResult, PanelMarkResult

# New fields of models named in ``labels`` (their model names stay as set there).
for model, fields in (
    (Indicator, {"reported": _("reported by cities")}),
    (
        Ruleset,
        {
            "optional_task_weight": _("optional tasks' weight"),
            "deviation_attainment": _("deviation threshold of attainment"),
            "deviation_execution": _("deviation threshold of budget execution"),
            "spot_checks": _("reads the spot checks' verified values"),
            "tolerance": _("tolerance of a verified value"),
            "deduction": _("deduction for a discrepancy"),
        },
    ),
):
    for target in (model, model.history.model):
        for field in target._meta.local_fields:
            if field.name in fields:
                field.verbose_name = fields[field.name]
for field in IndicatorResult._meta.local_fields:
    if field.name in ("checks", "deducted"):
        field.verbose_name = {"checks": _("spot checks"), "deducted": _("points deducted")}[
            field.name
        ]

label(
    RulesetTask,
    _("task"),
    _("tasks"),
    ruleset=_("ruleset"),
    indicator=_("task"),
    compulsory=_("compulsory"),
    weight=_("weight"),
    position=_("position"),
)
label(
    PanelMarkResult,
    _("expert's score in a run"),
    _("experts' scores in runs"),
    indicator_result=_("indicator result"),
    expert=_("expert"),
    score=_("score"),
    counted=_("counted"),
)
label(
    SpendingPlan,
    _("planned spending"),
    _("planned spending"),
    participation=_("participation"),
    year=_("year"),
    planned=_("planned (yuan)"),
)
label(
    Expenditure,
    _("expenditure"),
    _("expenditure"),
    **PERIOD,
    **PEOPLE_AND_TIMES,
    participation=_("participation"),
    amount=_("amount (yuan)"),
    evidence=_("evidence"),
    evidence_file=_("evidence file"),
    status=_("status"),
    version=_("version"),
    reviewed_by=_("reviewed by"),
    reviewed_at=_("reviewed at"),
    review_comment=_("review comment"),
)
label(
    TaskChoice,
    _("optional task chosen"),
    _("optional tasks chosen"),
    participation=_("participation"),
    task=_("task"),
)
label(
    ExpertProfile,
    _("expert's profile"),
    _("experts' profiles"),
    user=_("user"),
    home_city=_("own city"),
)
label(
    PanelAssignment,
    _("panel assignment"),
    _("panel assignments"),
    participation=_("participation"),
    expert=_("expert"),
    assigned_by=_("assigned by"),
    assigned_at=_("assigned at"),
)
label(
    TaskScore,
    _("expert's score"),
    _("experts' scores"),
    participation=_("participation"),
    task=_("task"),
    expert=_("expert"),
    score=_("score"),
    comment=_("comment"),
    scored_at=_("scored at"),
)
label(
    PaymentSuspension,
    _("payment suspension"),
    _("payment suspensions"),
    participation=_("participation"),
    reason=_("reason"),
    suspended_by=_("suspended by"),
    suspended_at=_("suspended at"),
    lifted_by=_("lifted by"),
    lifted_at=_("lifted at"),
    lift_reason=_("reason for lifting"),
    suspension_told_at=_("officials told of the suspension at"),
    lifting_told_at=_("officials told of the lifting at"),
)
