"""Suspending a city's pending payment (dual monitoring): a reviewer suspends it with a written
reason, audited; none of the city's decisions can be signed off until a second reviewer lifts
it, with a reason; the city's officials are told each way, once."""

from __future__ import annotations

import pytest
from django.core import mail

from evaluation import workflow
from evaluation.exceptions import Forbidden, Locked, WorkflowError
from evaluation.models import OfficialAssignment, PaymentSuspension, TrancheDecision
from evaluation.selectors import decisions_sign_off
from evaluation.services.decisions import decision_confirm, decision_override
from evaluation.services.monitoring import payment_lift, payment_suspend, suspension_notify
from tests.factories import ParticipationFactory, UserFactory, meet_every_target
from tests.parts import official_run, reviewer_named

pytestmark = pytest.mark.django_db


@pytest.fixture
def hefei(programme):
    participation = ParticipationFactory(
        programme=programme, city__code="340100", city__name_en="Hefei", city__name_zh="合肥市"
    )
    meet_every_target(participation.city)
    return participation


@pytest.fixture
def kunming(programme):
    participation = ParticipationFactory(programme=programme, city__code="530100")
    meet_every_target(participation.city)
    return participation


@pytest.fixture
def officials(hefei):
    made = []
    for name in ("li.wei", "chen.jing"):
        user = UserFactory(username=name)
        OfficialAssignment.objects.create(user=user, participation=hefei)
        made.append(user)
    return made


@pytest.fixture
def first():
    return reviewer_named("first_reviewer")


@pytest.fixture
def second():
    return reviewer_named("second_reviewer")


@pytest.fixture
def run(hefei, kunming, reviewer, django_capture_on_commit_callbacks):
    return official_run(hefei.programme, by=reviewer, capture=django_capture_on_commit_callbacks)


def decision_of(run, participation) -> TrancheDecision:
    return TrancheDecision.objects.get(
        city_result__run=run, city_result__participation=participation
    )


def test_a_suspension_needs_a_reason_and_a_reviewer(hefei, first, officials):
    with pytest.raises(WorkflowError) as no_reason:
        payment_suspend(participation=hefei, reason=" ", by=first)
    with pytest.raises(Forbidden):
        payment_suspend(participation=hefei, reason="behind", by=officials[0])

    assert [e.code for e in no_reason.value.errors] == ["reason_required"]
    assert not PaymentSuspension.objects.exists()


def test_a_suspended_citys_release_waits_for_a_second_reviewer_to_lift_it(
    run, hefei, kunming, first, second, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        suspension = payment_suspend(
            participation=hefei, reason="targets and spending both behind", by=first
        )

    for sign_off in (
        lambda: decision_confirm(decision=decision_of(run, hefei), by=second),
        lambda: decision_override(
            decision=decision_of(run, hefei), amount=0, reason="halt", by=second
        ),
    ):
        with pytest.raises(Locked) as refused:
            sign_off()
        assert refused.value.errors[0].code == "decision_suspended"
    state = decisions_sign_off(TrancheDecision.objects.filter(pk=decision_of(run, hefei).pk))
    assert state.get().sign_off == workflow.SignOff.SUSPENDED
    # Another city's release is not held.
    assert decision_confirm(decision=decision_of(run, kunming), by=second).status == "confirmed"

    with pytest.raises(Locked) as own:
        payment_lift(suspension=suspension, reason="back on course", by=first)
    assert own.value.errors[0].code == "lift_by_a_second_reviewer"
    with django_capture_on_commit_callbacks(execute=True):
        lifted = payment_lift(suspension=suspension, reason="back on course", by=second)

    assert (lifted.lifted_by, lifted.lift_reason) == (second, "back on course")
    assert decision_confirm(decision=decision_of(run, hefei), by=second).status == "confirmed"
    history = [
        (h.history_user.username, h.history_change_reason)
        for h in suspension.history.order_by("history_id")
    ]
    assert history[0] == ("first_reviewer", "payment suspended")
    assert ("second_reviewer", "suspension lifted") in history


def test_a_city_has_one_standing_suspension(hefei, first):
    payment_suspend(participation=hefei, reason="behind", by=first)

    with pytest.raises(Locked) as again:
        payment_suspend(participation=hefei, reason="still behind", by=first)

    assert again.value.errors[0].code == "already_suspended"


def test_the_citys_officials_are_told_each_way_once(
    hefei, first, second, officials, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        suspension = payment_suspend(participation=hefei, reason="both behind", by=first)
    told = [(m.to, m.subject) for m in mail.outbox]
    assert suspension_notify(suspension_id=suspension.pk, event="suspended") == 0  # once
    with django_capture_on_commit_callbacks(execute=True):
        payment_lift(suspension=suspension, reason="caught up", by=second)

    assert sorted(told) == [
        (["chen.jing@example.org"], "Hefei: the payment is suspended"),
        (["li.wei@example.org"], "Hefei: the payment is suspended"),
    ]
    assert "both behind" in mail.outbox[0].body
    lifted = [m for m in mail.outbox if "lifted" in m.subject]
    assert len(lifted) == 2 and "caught up" in lifted[0].body
