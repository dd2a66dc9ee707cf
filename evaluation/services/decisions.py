"""Signing off the recommended tranche decisions of an official run."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import User
from django.db import models, transaction
from django.db.models import Case, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from evaluation.access import require_reviewer
from evaluation.exceptions import FieldError, Locked, WorkflowError
from evaluation.models import EvaluationRun, TrancheDecision
from evaluation.services.ledger import ledger_append


class SignOff(models.TextChoices):
    """Where a decision stands for sign-off, as the person looking at it is told."""

    OPEN = "open", _("awaiting sign-off")
    PROVISIONAL = "provisional", _("provisional, not for sign-off")
    UNFINISHED = "unfinished", _("its run has not succeeded, not for sign-off")
    SIGNED = "signed", _("signed off")
    OWN_RUN = "own_run", _("awaiting sign-off by another reviewer (you triggered the run)")
    OTHER_RUN_SIGNED = "other_run_signed", _("another run of this date is being signed off")
    SUPERSEDED = "superseded", _("superseded by a newer run of this date")


SIGNED_STATUSES = (TrancheDecision.Status.CONFIRMED, TrancheDecision.Status.OVERRIDDEN)


def decisions_sign_off(
    queryset: QuerySet[TrancheDecision] | None = None, *, by: User | None = None
) -> QuerySet[TrancheDecision]:
    """The rule of which decisions can be signed off, in one place: each decision annotated with
    ``sign_off`` (a ``SignOff`` value; ``open`` only if ``by`` may sign it off now), and the
    run that blocks it (``signed_run``, ``newer_run``). Only the decisions of a successful
    official run, not yet signed, not by the reviewer who triggered the run, and of the one
    official run per programme and date that is decided: the newest, unless another one's
    sign-off has begun."""
    queryset = TrancheDecision.objects.all() if queryset is None else queryset
    others = EvaluationRun.objects.filter(
        programme_id=OuterRef("city_result__run__programme_id"),
        as_of=OuterRef("city_result__run__as_of"),
        kind=EvaluationRun.Kind.OFFICIAL,
        status=EvaluationRun.Status.SUCCEEDED,
    ).exclude(pk=OuterRef("city_result__run_id"))
    newest_first = ("-created_at", "-id")
    queryset = queryset.annotate(
        signed_run=Subquery(
            others.filter(city_results__decision__status__in=SIGNED_STATUSES)
            .order_by(*newest_first)
            .values("pk")[:1]
        ),
        newer_run=Subquery(
            others.filter(created_at__gt=OuterRef("city_result__run__created_at"))
            .order_by(*newest_first)
            .values("pk")[:1]
        ),
    )
    run = "city_result__run__"
    whens = [
        When(~Q(**{run + "kind": EvaluationRun.Kind.OFFICIAL}), then=Value(SignOff.PROVISIONAL)),
        When(
            ~Q(**{run + "status": EvaluationRun.Status.SUCCEEDED}), then=Value(SignOff.UNFINISHED)
        ),
        When(~Q(status=TrancheDecision.Status.RECOMMENDED), then=Value(SignOff.SIGNED)),
    ]
    if by is not None:
        whens.append(When(**{run + "triggered_by_id": by.pk}, then=Value(SignOff.OWN_RUN)))
    whens += [
        When(signed_run__isnull=False, then=Value(SignOff.OTHER_RUN_SIGNED)),
        When(newer_run__isnull=False, then=Value(SignOff.SUPERSEDED)),
    ]
    return queryset.annotate(
        sign_off=Case(*whens, default=Value(SignOff.OPEN), output_field=models.CharField())
    )


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
    unfinished = gettext("only the decisions of a successful official run can be signed off")
    refusals = {
        SignOff.PROVISIONAL: unfinished,
        SignOff.UNFINISHED: unfinished,
        SignOff.SIGNED: gettext("this decision is already %(status)s and final")
        % {"status": decision.get_status_display()},
        SignOff.OWN_RUN: gettext(
            "the reviewer who triggered the run may not sign off its decisions"
        ),
        SignOff.OTHER_RUN_SIGNED: gettext(
            "the decisions of run #%(run)s for the same date are already being signed off; "
            "one official run per date is decided"
        )
        % {"run": signed_run},
        SignOff.SUPERSEDED: gettext(
            "run #%(run)s is a newer official run for the same date: sign off that one"
        )
        % {"run": newer_run},
    }
    if state != SignOff.OPEN:
        raise Locked(refusals[SignOff(state)])
    return decision


def _sign(decision: TrancheDecision, *, by: User, reason: str) -> TrancheDecision:
    decision.decided_by, decision.decided_at = by, timezone.now()
    decision.full_clean()
    decision._history_user = by  # type: ignore[attr-defined]
    decision._change_reason = reason  # type: ignore[attr-defined]
    decision.save()
    ledger_append(decision, action=reason, by=by)
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
        ledger_append(run, action="finalised: every decision signed off", by=by)


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
