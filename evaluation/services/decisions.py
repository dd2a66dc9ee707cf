"""Signing off the recommended tranche decisions of an official run: confirm or override, by
the workflow table (``evaluation.workflow.DECISION``) and the sign-off rule
(``selectors.decisions_sign_off``); the run is finalised with its last sign-off."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from evaluation import workflow
from evaluation.access import require_reviewer
from evaluation.exceptions import FieldError, Locked, WorkflowError
from evaluation.models import EvaluationRun, TrancheDecision
from evaluation.reasons import history_reason
from evaluation.selectors import decisions_sign_off
from evaluation.services.audit import audited_save

# Kept here for the callers that import them from the sign-off service.
SignOff = workflow.SignOff


def _locked_decision(decision: TrancheDecision, by: User) -> TrancheDecision:
    """The decision, locked, after checking it may be signed off. The run is locked first, so
    that two reviewers signing off its last decisions at once cannot both miss finalising it."""
    EvaluationRun.objects.select_for_update().get(
        pk=TrancheDecision.objects.values("city_result__run_id").get(pk=decision.pk)[
            "city_result__run_id"
        ]
    )
    decision = (
        TrancheDecision.objects.select_for_update()
        .select_related("city_result__run", "city_result__participation")
        .get(pk=decision.pk)
    )
    state, signed_run, newer_run = (
        decisions_sign_off(TrancheDecision.objects.filter(pk=decision.pk), by=by)
        .values_list("sign_off", "signed_run", "newer_run")  # type: ignore[misc]
        .get()
    )
    refusal = workflow.sign_off_refusal(
        state,
        status_word=decision.get_status_display(),
        signed_run=signed_run,
        newer_run=newer_run,
    )
    if refusal is not None:
        raise Locked(refusal.reason, refusal.code)
    return decision


def _sign(decision: TrancheDecision, step: str, *, by: User, reason: str) -> TrancheDecision:
    decision.status = workflow.DECISION.target_of(step)
    decision.decided_by, decision.decided_at = by, timezone.now()
    audited_save(decision, by=by, reason=reason)
    _finalise_if_complete(decision.city_result.run, by)
    return decision


def _finalise_if_complete(run: EvaluationRun, by: User) -> None:
    """Once every decision of the run is signed off, the run is final and the periods it
    covers close for officials."""
    # The run row is already locked by _locked_decision.
    pending = (
        TrancheDecision.objects.filter(city_result__run=run)
        .exclude(status__in=workflow.SIGNED)
        .exists()
    )
    run = EvaluationRun.objects.get(pk=run.pk)
    if not pending and run.finalised_at is None:
        run.finalised_at = timezone.now()
        audited_save(
            run,
            by=by,
            reason=history_reason("run_finalised"),
            update_fields=["finalised_at"],
            clean=False,
        )
        # After the verdict: the cities graded below the ruleset's threshold rectify (整改).
        from evaluation.services.rectification import rectification_open

        rectification_open(run=run, by=by)


@transaction.atomic
def decision_confirm(*, decision: TrancheDecision, by: User) -> TrancheDecision:
    require_reviewer(by)
    decision = _locked_decision(decision, by)
    decision.final_decision = decision.recommended_decision
    decision.final_amount = decision.recommended_amount
    return _sign(decision, "confirm", by=by, reason=history_reason("decision_confirmed"))


@transaction.atomic
def decision_override(
    *, decision: TrancheDecision, amount: Decimal, reason: str, by: User
) -> TrancheDecision:
    """Replace the recommendation with ``amount`` (yuan, 0 to the remaining amount)."""
    require_reviewer(by)
    reason = reason.strip()
    errors = []
    missing = workflow.DECISION.missing("override", reason)
    if missing is not None:
        errors.append(FieldError(missing.field, missing.reason, missing.code))
    decision = _locked_decision(decision, by)
    if not Decimal(0) <= amount <= decision.remaining_amount:
        errors.append(
            FieldError(
                "amount",
                gettext("must be between 0.00 and the remaining %(remaining)s")
                % {"remaining": decision.remaining_amount},
                "outside_range",
            )
        )
    if amount != amount.quantize(Decimal("0.01")):
        errors.append(
            FieldError("amount", gettext("at most 2 decimals (fen)"), "too_many_decimals")
        )
    if errors:
        raise WorkflowError(errors)
    decision.final_amount = amount
    decision.final_decision = (
        TrancheDecision.Decision.RELEASE if amount > 0 else TrancheDecision.Decision.WITHHOLD
    )
    decision.override_reason = reason
    return _sign(
        decision, "override", by=by, reason=history_reason("decision_overridden", text=reason)
    )
