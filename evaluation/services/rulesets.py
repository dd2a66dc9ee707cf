"""Rulesets are versioned: the first run that uses a version freezes it, and any edit after
that makes a new version (a copy with the changes) instead of changing what a run used."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from evaluation import scoring
from evaluation.models import Ruleset
from evaluation.reasons import history_reason
from evaluation.selectors import ruleset_spec
from evaluation.services.audit import audited_save
from evaluation.services.ledger import ledger_append
from evaluation.services.ruleset_parts import RULESET_NUMBERS, rows_copy, ruleset_versions_locked


def ruleset_freeze(*, ruleset: Ruleset) -> None:
    """Mark ``ruleset`` as used by a run: from now on an edit makes a new version."""
    if ruleset.frozen_at is None:
        ruleset.frozen_at = timezone.now()
        ruleset.save(update_fields=["frozen_at"])
        ledger_append(ruleset, action="frozen: used by a run", by=None)


@transaction.atomic
def ruleset_revise(
    *,
    ruleset: Ruleset,
    by: User | None,
    weights: dict[str, Decimal] | None = None,
    floors: dict[str, Decimal] | None = None,
    release_shares: dict[str, Decimal] | None = None,
    min_scores: dict[str, Decimal] | None = None,
    notes: str = "",
    task_weights: dict[str, Decimal] | None = None,
    settings: dict[str, Decimal] | None = None,
) -> Ruleset:
    """Apply changes to ``ruleset``: in place while no run has used it, otherwise as a new
    version. The result must still be a valid ruleset (weights add up to 100, a band from 0…).
    ``task_weights`` change compulsory tasks' weights (by code), ``settings`` the ruleset's
    own numbers (``optional_task_weight``, ``deviation_attainment``, ``deviation_execution``)."""
    weights, floors = weights or {}, floors or {}
    release_shares, min_scores = release_shares or {}, min_scores or {}
    task_weights, settings = task_weights or {}, settings or {}
    # The programme's versions first (a revision of a frozen ruleset takes the next number),
    # then the ruleset, in the order every new version takes them.
    latest = ruleset_versions_locked(ruleset.programme_id)
    ruleset = Ruleset.objects.select_for_update().get(pk=ruleset.pk)
    target = ruleset
    if ruleset.is_frozen:
        assert latest is not None
        target = Ruleset(
            programme=ruleset.programme,
            version=latest + 1,
            notes=notes or f"Revised from {ruleset.label}.",
            created_by=by,
            rectification_below=ruleset.rectification_below,
            rectification_days=ruleset.rectification_days,
            **{name: getattr(ruleset, name) for name in RULESET_NUMBERS},
        )
        # The copy's ledger entry is written once the whole revision is done (below).
        audited_save(
            target,
            by=by,
            reason=history_reason("ruleset_revised", ruleset=ruleset.label),
            clean=False,
            ledger=False,
        )
        rows_copy(
            source=ruleset,
            target=target,
            by=by,
            reason=history_reason("ruleset_copied", ruleset=ruleset.label),
            ledger=False,
        )
    if any(getattr(target, name) != value for name, value in settings.items()):
        for name, value in settings.items():
            setattr(target, name, value)
        audited_save(target, by=by, reason="revised", update_fields=list(settings))
    for task in target.tasks.select_related("indicator"):
        code = task.indicator.code
        if task.compulsory and code in task_weights and task.weight != task_weights[code]:
            task.weight = task_weights[code]
            audited_save(task, by=by, reason="revised")
    for rule in target.rules.select_related("indicator"):
        code = rule.indicator.code
        if code in weights or code in floors:
            rule.weight = weights.get(code, rule.weight)
            rule.floor = floors.get(code, rule.floor)
            rule.full_clean()
            audited_save(rule, by=by, reason=None, clean=False, ledger=False)
    for band in target.bands.all():
        if band.grade in release_shares or band.grade in min_scores:
            band.release_share = release_shares.get(band.grade, band.release_share)
            band.min_score = min_scores.get(band.grade, band.min_score)
            band.full_clean()
            audited_save(band, by=by, reason=None, clean=False, ledger=False)
    ruleset_check(ruleset=target)
    ledger_append(target, action=f"revised from {ruleset.label}", by=by)
    return target


def ruleset_check(*, ruleset: Ruleset) -> None:
    """Raise ``ValidationError`` naming every inconsistency of the ruleset (the core's
    rules: see ``scoring.engine.check_ruleset``)."""
    try:
        scoring.engine.check_ruleset(ruleset_spec(ruleset=ruleset))
    except scoring.RulesetError as exc:
        raise ValidationError(list(exc.messages)) from None
