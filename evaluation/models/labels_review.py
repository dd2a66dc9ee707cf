"""The names of the self-evaluation's and the provincial review's models and fields,
translatable, set as ``labels`` sets the others' (see its docstring)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from evaluation.models.labels import PEOPLE_AND_TIMES, label
from evaluation.models.review import (
    ProvincialOpinion,
    ProvincialReviewer,
    SelfEvaluation,
    SelfEvaluationLine,
)

label(
    ProvincialReviewer,
    _("provincial reviewer"),
    _("provincial reviewers"),
    user=_("user"),
    province=_("province"),
)
label(
    SelfEvaluation,
    _("self-evaluation"),
    _("self-evaluations"),
    submitted_by=PEOPLE_AND_TIMES["submitted_by"],
    submitted_at=PEOPLE_AND_TIMES["submitted_at"],
    participation=_("participation"),
    version=_("version"),
    reviewed_by=_("reviewed by"),
    reviewed_at=_("reviewed at"),
)
label(
    SelfEvaluationLine,
    _("self-evaluation line"),
    _("self-evaluation lines"),
    self_evaluation=_("self-evaluation"),
    indicator=_("indicator"),
    position=_("position"),
    kind=_("rule kind"),
    status=_("status"),
    weight=_("weight"),
    full_target=_("full target"),
    target=_("target"),
    actual=_("actual"),
    attainment=_("attainment"),
    points=_("points"),
    short=_("below its target"),
)
label(
    ProvincialOpinion,
    _("province's opinion"),
    _("province's opinions"),
    report=_("report"),
    self_evaluation=_("self-evaluation"),
    by=_("by"),
)
