"""The people and rulesets of the optional parts (budget execution, tasks, the expert panel,
the dual monitoring), for the tests of every layer."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import User

from evaluation.models import (
    EvaluationRun,
    Indicator,
    IndicatorRule,
    Participation,
    Programme,
    Ruleset,
    RulesetTask,
    TrancheDecision,
)
from evaluation.scoring.budget import BUDGET_INDICATOR
from evaluation.services.decisions import decision_confirm
from evaluation.services.panel import expert_assign
from evaluation.services.people import role_grant
from evaluation.services.ruleset_parts import ruleset_copy, task_entry
from evaluation.services.rulesets import ruleset_freeze
from evaluation.services.runs import evaluation_run_request
from tests.factories import UserFactory

# The tasks of the ruleset with parts: two compulsory ones, three optional ones sharing 10.
COMPULSORY = (("platform", "区域知识产权运营服务平台", "IP operation service platform", "8"),)
COMPULSORY += (("talent", "知识产权人才培养", "IP talent training", "2"),)
OPTIONAL = (
    ("training", "企业知识产权培训", "IP training for firms"),
    ("fund", "知识产权运营基金", "IP operation fund"),
    ("navigation_service", "专利导航服务", "patent navigation service"),
)


def ruleset_with_parts(programme: Programme, *, by: User | None = None) -> Ruleset:
    """The programme's next version with every part: the output indicators at 70% of their
    weights (70 points), budget execution at 10, the compulsory tasks at 8 and 2, the optional
    ones sharing 10. It is the programme's current ruleset (published) once made."""
    current = Ruleset.objects.filter(programme=programme).order_by("-version").first()
    assert current is not None
    ruleset_freeze(ruleset=current)
    made = ruleset_copy(ruleset=current, by=by)
    for rule in made.rules.all():
        rule.weight = rule.weight * Decimal("0.7")
        rule.save()
    IndicatorRule.objects.create(
        ruleset=made,
        indicator=Indicator.objects.get(code=BUDGET_INDICATOR),
        kind="budget_execution",
        floor=Decimal(1),
        weight=Decimal(10),
    )
    for position, (code, zh, en, weight) in enumerate(COMPULSORY):
        RulesetTask.objects.create(
            ruleset=made,
            indicator=task_entry(code=code, name_zh=zh, name_en=en, by=by),
            compulsory=True,
            weight=Decimal(weight),
            position=position,
        )
    for position, (code, zh, en) in enumerate(OPTIONAL):
        RulesetTask.objects.create(
            ruleset=made,
            indicator=task_entry(code=code, name_zh=zh, name_en=en, by=by),
            compulsory=False,
            position=position,
        )
    made.optional_task_weight = Decimal(10)
    made.save()
    return made


def expert(username: str, *participations: Participation) -> User:
    """A user with the role ``expert``, on the panel of each of ``participations``."""
    user = UserFactory(username=username)
    role_grant(user=user, role="expert", by=None)
    for participation in participations:
        expert_assign(expert=user, participation=participation, by=None)
    return user


def reviewer_named(username: str) -> User:
    user = UserFactory(username=username)
    role_grant(user=user, role="reviewer", by=None)
    return user


def official_run(
    programme: Programme, *, by: User | None, capture, kind: str = EvaluationRun.Kind.OFFICIAL
) -> EvaluationRun:
    """An evaluation run as of the mid-term date, scored at once (``capture`` is pytest-django's
    ``django_capture_on_commit_callbacks``)."""
    with capture(execute=True):
        run = evaluation_run_request(programme=programme, kind=kind, trigger="api", by=by)
    run.refresh_from_db()
    return run


def finalise(run: EvaluationRun, *, by: User) -> EvaluationRun:
    """Every decision of the official run confirmed by ``by``: the run is finalised."""
    for decision in TrancheDecision.objects.filter(city_result__run=run):
        decision_confirm(decision=decision, by=by)
    run.refresh_from_db()
    assert run.finalised_at is not None
    return run
