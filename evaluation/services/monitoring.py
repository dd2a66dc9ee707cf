"""The dual monitoring's one act (暂缓拨付): a reviewer suspends a city's pending payment with a
written reason, and a second reviewer lifts it, also with a reason. While the suspension
stands none of the city's decisions can be signed off (``workflow.SignOff.SUSPENDED``). Each is
audited (its history row, the acting reviewer) in one transaction, and the city's officials
are told by email after it commits (``evaluation.tasks.notify_suspension``), once each way."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from evaluation import vocabulary
from evaluation.access import require_reviewer
from evaluation.exceptions import FieldError, Locked, Reason, WorkflowError
from evaluation.models import Participation, PaymentSuspension
from evaluation.services.audit import audited_save
from evaluation.services.outbox import outbox_enqueue

log = logging.getLogger(__name__)

SUSPENDED, LIFTED = "suspended", "lifted"


def _reason_required(text: str, field: str, words: str) -> None:
    if not text.strip():
        raise WorkflowError([FieldError(field, words, f"{field}_required")])


@transaction.atomic
def payment_suspend(*, participation: Participation, reason: str, by: User) -> PaymentSuspension:
    """Suspend the city's pending payment, with ``reason``. A city has at most one standing
    suspension."""
    require_reviewer(by)
    _reason_required(reason, "reason", gettext("a written reason is required to suspend a payment"))
    participation = Participation.objects.select_for_update(of=("self",)).get(pk=participation.pk)
    if PaymentSuspension.objects.filter(
        participation=participation, lifted_at__isnull=True
    ).exists():
        raise Locked(
            Reason(gettext("the city's payment is already suspended"), "already_suspended")
        )
    suspension = audited_save(
        PaymentSuspension(participation=participation, reason=reason.strip(), suspended_by=by),
        by=by,
        reason="payment suspended",
    )
    outbox_enqueue(
        "evaluation.tasks.notify_suspension", suspension_id=suspension.pk, event=SUSPENDED
    )
    return suspension


@transaction.atomic
def payment_lift(*, suspension: PaymentSuspension, reason: str, by: User) -> PaymentSuspension:
    """Lift a standing suspension, with ``reason``: by another reviewer than the one who
    suspended the payment (four eyes)."""
    require_reviewer(by)
    _reason_required(reason, "reason", gettext("a written reason is required to lift a suspension"))
    suspension = PaymentSuspension.objects.select_for_update().get(pk=suspension.pk)
    if suspension.lifted_at is not None:
        raise Locked(Reason(gettext("this suspension has already been lifted"), "already_lifted"))
    if suspension.suspended_by_id == by.pk:
        raise Locked(
            Reason(
                gettext(
                    "the reviewer who suspended the payment may not lift it: a second reviewer must"
                ),
                "lift_by_a_second_reviewer",
            )
        )
    suspension.lifted_by, suspension.lifted_at = by, timezone.now()
    suspension.lift_reason = reason.strip()
    audited_save(suspension, by=by, reason="suspension lifted")
    outbox_enqueue("evaluation.tasks.notify_suspension", suspension_id=suspension.pk, event=LIFTED)
    return suspension


def suspension_notify(*, suspension_id: int, event: str) -> int:
    """Tell the city's officials that its payment was suspended (with the reason) or that the
    suspension was lifted, each in the language they use the portal in; once per event.
    Returns how many emails went out."""
    field = "suspension_told_at" if event == SUSPENDED else "lifting_told_at"
    with transaction.atomic():
        told = PaymentSuspension.objects.filter(pk=suspension_id, **{f"{field}__isnull": True})
        if not told.update(**{field: timezone.now()}):
            return 0
        suspension = PaymentSuspension.objects.select_related(
            "participation__city", "participation__programme"
        ).get(pk=suspension_id)
    participation = suspension.participation
    sent = 0
    try:
        for assignment in (
            participation.officials.select_related("user", "user__portal_profile")
            .exclude(user__email="")
            .filter(user__is_active=True)
        ):
            user = assignment.user
            profile = getattr(user, "portal_profile", None)
            language = profile.language if profile is not None else settings.LANGUAGE_CODE
            with translation.override(language):
                city = vocabulary.indicator_name(participation.city)
                words = {
                    "city": city,
                    "programme": participation.programme,
                    "reason": suspension.reason if event == SUSPENDED else suspension.lift_reason,
                }
                if event == SUSPENDED:
                    subject = gettext("%(city)s: the payment is suspended") % words
                    body = (
                        gettext(
                            "The ministry's reviewer suspended the pending payment of "
                            "%(programme)s to %(city)s (dual monitoring) for this reason:\n\n"
                            "%(reason)s\n\nNo release can be signed off until a second reviewer "
                            "lifts the suspension. The portal's monitoring page shows where the "
                            "city stands."
                        )
                        % words
                    )
                else:
                    subject = gettext("%(city)s: the suspension of the payment is lifted") % words
                    body = (
                        gettext(
                            "A second reviewer lifted the suspension of the pending payment of "
                            "%(programme)s to %(city)s:\n\n%(reason)s\n\nIts release can be signed "
                            "off again."
                        )
                        % words
                    )
            send_mail(subject=subject, message=body, from_email=None, recipient_list=[user.email])
            sent += 1
    except Exception:
        log.exception("suspension notice %s (%s) failed", suspension_id, event)
        PaymentSuspension.objects.filter(pk=suspension_id).update(**{field: None})
        raise
    return sent
