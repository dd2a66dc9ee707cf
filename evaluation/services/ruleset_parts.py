"""The optional parts of a ruleset where rulesets are made: its tasks (each with its entry in
the catalogue, under which runs store its result), the optional tasks' weight and the dual
monitoring's thresholds, copied into every new version; and a copy of a used ruleset as the
next version, to which parts can be added."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext

from evaluation.access import require_administrator
from evaluation.models import (
    GradeBand,
    Indicator,
    IndicatorRule,
    Programme,
    Ruleset,
    RulesetTask,
)
from evaluation.reasons import history_reason
from evaluation.scoring.budget import BUDGET_INDICATOR
from evaluation.services.audit import audited_bulk_create, audited_save

# The ruleset's own numbers, copied into its next version.
RULESET_NUMBERS = (
    "optional_task_weight",
    "deviation_attainment",
    "deviation_execution",
    "spot_checks",
    "tolerance",
    "deduction",
)


def task_entry(*, code: str, name_zh: str, name_en: str, by: User | None) -> Indicator:
    """The catalogue's entry of the task ``code`` (made if new, renamed if its names changed):
    not reported by cities, measured as a panel score. A code an indicator has is refused."""
    entry = Indicator.objects.filter(code=code).first()
    if entry is not None and (entry.reported or code == BUDGET_INDICATOR):
        raise ValidationError(
            gettext("%(code)s is the code of an indicator; give the task its own code")
            % {"code": code},
            code="code_of_an_indicator",
        )
    name_en = name_en or name_zh
    if entry is None:
        position = (Indicator.objects.aggregate(last=Max("position"))["last"] or 0) + 1
        entry = Indicator(
            code=code,
            name_zh=name_zh,
            name_en=name_en,
            unit=Indicator.Unit.SCORE,
            reported=False,
            position=position,
        )
        return audited_save(entry, by=by, reason="task added to a ruleset")
    if (entry.name_zh, entry.name_en) != (name_zh, name_en):
        entry.name_zh, entry.name_en = name_zh, name_en
        audited_save(entry, by=by, reason="task renamed")
    return entry


def tasks_copy(*, source: Ruleset, target: Ruleset, by: User | None, reason: str) -> None:
    """Copy ``source``'s tasks into ``target`` (a new version)."""
    audited_bulk_create(
        [
            RulesetTask(
                ruleset=target,
                indicator_id=task.indicator_id,
                compulsory=task.compulsory,
                weight=task.weight,
                position=task.position,
            )
            for task in source.tasks.all()
        ],
        RulesetTask,
        by=by,
        reason=reason,
    )


def rows_copy(
    *, source: Ruleset, target: Ruleset, by: User | None, reason: str, ledger: bool = True
) -> None:
    """Copy ``source``'s rules, grade bands and tasks into ``target`` (a new version); with
    ``ledger`` False the caller writes the ruleset's ledger entry once its whole step is done
    (the rules' and bands' rows; the tasks' rows keep theirs)."""
    audited_bulk_create(
        [
            IndicatorRule(
                ruleset=target,
                indicator_id=rule.indicator_id,
                kind=rule.kind,
                floor=rule.floor,
                weight=rule.weight,
            )
            for rule in source.rules.all()
        ],
        IndicatorRule,
        by=by,
        reason=reason,
        ledger=ledger,
    )
    audited_bulk_create(
        [
            GradeBand(
                ruleset=target,
                grade=band.grade,
                min_score=band.min_score,
                release_share=band.release_share,
            )
            for band in source.bands.all()
        ],
        GradeBand,
        by=by,
        reason=reason,
        ledger=ledger,
    )
    tasks_copy(source=source, target=target, by=by, reason=reason)


def ruleset_versions_locked(programme_id: int) -> int | None:
    """The programme's latest ruleset version, its versions locked until the transaction ends
    (the programme's row, ``FOR NO KEY UPDATE``), so two new versions made at once (drafts,
    publications, copies, revisions) do not take the same number. Taken before any ruleset of
    the programme is locked. (A lock asked for with an aggregate is dropped: Django leaves
    ``FOR UPDATE`` out of an aggregate's query, so two drafts at once both took the next
    number and the later met the unique version constraint as a server error.)"""
    Programme.objects.select_for_update(no_key=True).filter(pk=programme_id).order_by().get()
    latest: int | None = Ruleset.objects.filter(programme_id=programme_id).aggregate(
        latest=Max("version")
    )["latest"]
    return latest


@transaction.atomic
def ruleset_copy(*, ruleset: Ruleset, by: User | None, notes: str = "") -> Ruleset:
    """The next version of ``ruleset``'s programme as a copy of it, not yet used by any run,
    so that rows (a budget rule, tasks) can be added to it. Saved as the programme's highest
    version it is the programme's current ruleset (published) at once, scoring as the copied
    one did until it is changed."""
    if by is not None:
        require_administrator(by)
    latest = ruleset_versions_locked(ruleset.programme_id)
    ruleset = Ruleset.objects.select_for_update().get(pk=ruleset.pk)
    assert latest is not None
    copy = audited_save(
        Ruleset(
            programme=ruleset.programme,
            version=latest + 1,
            notes=notes or f"Copied from {ruleset.label}.",
            created_by=by,
            **{name: getattr(ruleset, name) for name in RULESET_NUMBERS},
        ),
        by=by,
        reason=history_reason("ruleset_copied", ruleset=ruleset.label),
    )
    rows_copy(
        source=ruleset,
        target=copy,
        by=by,
        reason=history_reason("ruleset_copied", ruleset=ruleset.label),
    )
    return copy
