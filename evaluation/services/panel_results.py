"""What a run does for the tasks of a ruleset beyond scoring them: it refuses to start while a
city has chosen no optional task (naming each), and it keeps the experts' scores it read with
its results (``PanelMarkResult``), so its documents show them as they were."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.contrib.auth.models import User

from evaluation.models import IndicatorResult, PanelMarkResult, Participation, TaskChoice
from evaluation.scoring import CityInput, IndicatorOutcome, RulesetSpec
from evaluation.scoring.engine import check_city_tasks


def choices_missing(*, participation_ids: Sequence[int], ruleset: RulesetSpec) -> list[str]:
    """Each city of the run that has chosen none of the ruleset's optional tasks (two
    queries; none for a ruleset without optional tasks)."""
    optional = {t.code for t in ruleset.tasks if not t.compulsory}
    if not optional:
        return []
    chosen: dict[int, list[str]] = {}
    for participation_id, code in TaskChoice.objects.filter(
        participation_id__in=list(participation_ids), task__code__in=optional
    ).values_list("participation_id", "task__code"):
        chosen.setdefault(participation_id, []).append(code)
    problems = []
    for pk, city in (
        Participation.objects.filter(pk__in=list(participation_ids))
        .order_by("city__code")
        .values_list("pk", "city__code")
    ):
        given = CityInput(
            city=city, remaining_amount=Decimal(0), optional_tasks=tuple(chosen.get(pk, ()))
        )
        problems += [f"city {city}: {problem}" for problem in check_city_tasks(given, ruleset)]
    return problems


def panel_marks_store(
    stored: Sequence[IndicatorResult], outcomes: Sequence[IndicatorOutcome]
) -> None:
    """The experts' scores each task's outcome was computed from, beside its stored result
    (one insert, and one read of the experts; nothing for a run without scored tasks)."""
    pairs = [(row, outcome) for row, outcome in zip(stored, outcomes, strict=True) if outcome.panel]
    if not pairs:
        return
    names = {mark.expert for _, outcome in pairs for mark in outcome.panel}
    experts = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
    PanelMarkResult.objects.bulk_create(
        PanelMarkResult(
            indicator_result=row,
            expert_id=experts[mark.expert],
            score=mark.score,
            counted=mark.counted,
        )
        for row, outcome in pairs
        for mark in outcome.panel
    )
