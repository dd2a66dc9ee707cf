"""Signing off the recommended tranche decisions of an official run."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from evaluation.access import require_reviewer
from evaluation.exceptions import FieldError, Locked, WorkflowError
from evaluation.models import EvaluationRun, TrancheDecision


def _locked_decision(decision: TrancheDecision, by: User) -> TrancheDecision:
    """The decision, locked, after checking it may be signed off. The run is locked first, so
    that two reviewers signing off its last decisions at once cannot both miss finalising it."""
    run = EvaluationRun.objects.select_for_update().get(
        pk=TrancheDecision.objects.values("city_result__run_id").get(pk=decision.pk)[
            "city_result__run_id"
        ]
    )
    decision = (
        TrancheDecision.objects.select_for_update()
        .select_related("city_result__run", "city_result__participation")
        .get(pk=decision.pk)
    )
    if run.kind != EvaluationRun.Kind.OFFICIAL or run.status != EvaluationRun.Status.SUCCEEDED:
        raise Locked(gettext("only the decisions of a successful official run can be signed off"))
    if decision.status != TrancheDecision.Status.RECOMMENDED:
        raise Locked(
            gettext("this decision is already %(status)s and final")
            % {"status": decision.get_status_display()}
        )
    if run.triggered_by_id is not None and run.triggered_by_id == by.pk:
        raise Locked(gettext("the reviewer who triggered the run may not sign off its decisions"))
    others = EvaluationRun.objects.filter(
        programme_id=run.programme_id,
        as_of=run.as_of,
        kind=EvaluationRun.Kind.OFFICIAL,
        status=EvaluationRun.Status.SUCCEEDED,
    ).exclude(pk=run.pk)
    signed = others.filter(
        city_results__decision__status__in=[
            TrancheDecision.Status.CONFIRMED,
            TrancheDecision.Status.OVERRIDDEN,
        ]
    ).first()
    if signed is not None:
        raise Locked(
            gettext(
                "the decisions of run #%(run)s for the same date are already being signed off; "
                "one official run per date is decided"
            )
            % {"run": signed.pk}
        )
    newer = others.filter(created_at__gt=run.created_at).order_by("-created_at").first()
    if newer is not None:
        raise Locked(
            gettext("run #%(run)s is a newer official run for the same date: sign off that one")
            % {"run": newer.pk}
        )
    return decision


def _sign(decision: TrancheDecision, *, by: User, reason: str) -> TrancheDecision:
    decision.decided_by, decision.decided_at = by, timezone.now()
    decision.full_clean()
    decision._history_user = by  # type: ignore[attr-defined]
    decision._change_reason = reason  # type: ignore[attr-defined]
    decision.save()
    _finalise_if_complete(decision.city_result.run, by)
    return decision


def _finalise_if_complete(run: EvaluationRun, by: User) -> None:
    """Once every decision of the run is signed off, the run is final and the periods it
    covers close for officials."""
    # The run row is already locked by _locked_decision.
    pending = TrancheDecision.objects.filter(
        city_result__run=run, status=TrancheDecision.Status.RECOMMENDED
    ).exists()
    run = EvaluationRun.objects.get(pk=run.pk)
    if not pending and run.finalised_at is None:
        run.finalised_at = timezone.now()
        run._history_user = by  # type: ignore[attr-defined]
        run._change_reason = "finalised: every decision signed off"  # type: ignore[attr-defined]
        run.save(update_fields=["finalised_at"])


@transaction.atomic
def decision_confirm(*, decision: TrancheDecision, by: User) -> TrancheDecision:
    require_reviewer(by)
    decision = _locked_decision(decision, by)
    decision.status = TrancheDecision.Status.CONFIRMED
    decision.final_decision = decision.recommended_decision
    decision.final_amount = decision.recommended_amount
    return _sign(decision, by=by, reason="confirmed")


@transaction.atomic
def decision_override(
    *, decision: TrancheDecision, amount: Decimal, reason: str, by: User
) -> TrancheDecision:
    """Replace the recommendation with ``amount`` (yuan, 0 to the remaining amount)."""
    require_reviewer(by)
    reason = reason.strip()
    errors = []
    if not reason:
        errors.append(FieldError("reason", gettext("a written reason is required to override")))
    decision = _locked_decision(decision, by)
    if not Decimal(0) <= amount <= decision.remaining_amount:
        errors.append(
            FieldError(
                "amount",
                gettext("must be between 0.00 and the remaining %(remaining)s")
                % {"remaining": decision.remaining_amount},
            )
        )
    if amount != amount.quantize(Decimal("0.01")):
        errors.append(FieldError("amount", gettext("at most 2 decimals (fen)")))
    if errors:
        raise WorkflowError(errors)
    decision.status = TrancheDecision.Status.OVERRIDDEN
    decision.final_amount = amount
    decision.final_decision = (
        TrancheDecision.Decision.RELEASE if amount > 0 else TrancheDecision.Decision.WITHHOLD
    )
    decision.override_reason = reason
    return _sign(decision, by=by, reason=f"overridden: {reason}")
