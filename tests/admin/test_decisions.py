"""Signing off tranche decisions in the admin: confirmed, or overridden with an amount and a
reason, by a reviewer other than the one who triggered the run; final once signed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evaluation.models import TrancheDecision
from tests.admin.conftest import history_rows, page, shown_messages
from tests.factories import meet_every_target

pytestmark = pytest.mark.django_db

DECISIONS = "/admin/evaluation/tranchedecision/"


@pytest.fixture
def run(city_a, city_b, evaluate):
    """An official run triggered by ``reviewer``: Shenzhen is recommended the remaining 50
    million, Chaoyang (no figures) nothing."""
    meet_every_target(city_a.city)
    return evaluate()


@pytest.fixture
def release(run) -> TrancheDecision:
    return TrancheDecision.objects.get(
        city_result__run=run, city_result__participation__city__code="440300"
    )


@pytest.fixture
def withhold(run) -> TrancheDecision:
    return TrancheDecision.objects.get(
        city_result__run=run, city_result__participation__city__code="110105"
    )


def act(client, action: str, decisions: list[TrancheDecision], **extra):
    """The action as its last page posts it: a sign-off from its confirmation page (``apply``),
    an override with its amount confirmed when it is under 1% of the remaining sum."""
    if action == "confirm":
        extra.setdefault("apply", "Apply")
    if action == "override" and "apply" in extra:
        extra.setdefault("small_confirmed", "on")
    data = {"action": action, "_selected_action": [d.pk for d in decisions], **extra}
    return client.post(DECISIONS, data, follow=True)


def state(decision: TrancheDecision) -> tuple:
    d = TrancheDecision.objects.get(pk=decision.pk)
    return (d.status, d.final_decision, d.final_amount, d.decided_by and d.decided_by.username)


UNSIGNED = ("recommended", "", None, None)


def test_the_decisions_list_shows_each_recommendation(reviewer_client, release, withhold):
    response = reviewer_client.get(DECISIONS + "?status__exact=recommended")

    assert {d.pk for d in response.context["cl"].result_list} == {release.pk, withhold.pk}
    text = page(response)
    assert "440300 Shenzhen" in text and "50000000.00" in text.replace(",", "")
    assert "110105 Chaoyang" in text


def test_a_second_reviewer_confirms(signer_client, release, withhold):
    response = act(signer_client, "confirm", [release, withhold])

    assert "Signed off 2 decisions as recommended: 50,000,000.00 yuan in all." in shown_messages(
        response
    )
    assert state(release) == ("confirmed", "release", Decimal("50000000.00"), "second_reviewer")
    assert state(withhold) == ("confirmed", "withhold", Decimal("0.00"), "second_reviewer")
    assert TrancheDecision.objects.get(pk=release.pk).decided_at is not None
    release.city_result.run.refresh_from_db()
    assert release.city_result.run.finalised_at is not None


def test_the_reviewer_who_triggered_the_run_may_not_confirm(reviewer_client, release):
    response = act(reviewer_client, "confirm", [release])

    messages = shown_messages(response)
    assert len(messages) == 1
    assert "the reviewer who triggered the run may not sign off its decisions" in messages[0]
    assert state(release) == UNSIGNED


def test_the_reviewer_who_triggered_the_run_may_not_override(reviewer_client, release):
    response = act(
        reviewer_client, "override", [release], apply="Apply", amount="10.00", reason="mine"
    )

    assert any("triggered the run" in m for m in shown_messages(response))
    assert state(release) == UNSIGNED


def test_an_override_asks_for_an_amount_and_a_reason(signer_client, release):
    response = act(signer_client, "override", [release])

    assert response.status_code == 200
    text = page(response)
    assert "Override the decision for 440300 Shenzhen" in text
    assert "Amount (yuan, 元):" in text and "Reason:" in text
    assert "Remaining: 50,000,000.00 yuan (5,000.00 10,000 yuan)" in text
    assert state(release) == UNSIGNED


@pytest.mark.parametrize(
    ("amount", "reason"),
    [("1000000.00", ""), ("", "audit findings"), ("-1", "audit findings")],
)
def test_an_override_without_amount_or_reason_shows_the_form_again(
    signer_client, release, amount, reason
):
    response = act(
        signer_client, "override", [release], apply="Apply", amount=amount, reason=reason
    )

    assert response.status_code == 200
    assert "Override the decision for 440300 Shenzhen" in page(response)
    assert response.context["form"].errors
    assert state(release) == UNSIGNED


def test_an_override_above_the_remaining_amount_is_refused(signer_client, release):
    response = act(
        signer_client, "override", [release], apply="Apply", amount="50000000.01", reason="x"
    )

    assert any(
        "must be between 0.00 and the remaining 50000000.00" in m for m in shown_messages(response)
    )
    assert state(release) == UNSIGNED


def test_an_override_with_amount_and_reason_is_recorded(signer_client, release):
    response = act(
        signer_client,
        "override",
        [release],
        apply="Apply",
        amount="20000000.00",
        reason="audit found double-counted pledges",
    )

    assert (
        "Overridden: 440300 Shenzhen: 100.00 points (excellent); now 20,000,000.00 yuan."
        in shown_messages(response)
    )
    assert state(release) == ("overridden", "release", Decimal("20000000.00"), "second_reviewer")
    assert (
        TrancheDecision.objects.get(pk=release.pk).override_reason
        == "audit found double-counted pledges"
    )


def test_decisions_are_overridden_one_at_a_time(signer_client, release, withhold):
    response = act(
        signer_client, "override", [release, withhold], apply="Apply", amount="1", reason="x"
    )

    assert shown_messages(response) == ["Override one decision at a time."]
    assert state(release) == state(withhold) == UNSIGNED


def test_a_confirmed_decision_is_final(signer_client, release):
    act(signer_client, "confirm", [release])
    confirmed = state(release)

    again = act(signer_client, "confirm", [release])
    overridden = act(
        signer_client, "override", [release], apply="Apply", amount="0.00", reason="second thoughts"
    )

    for response in (again, overridden):
        assert any(
            "this decision is already confirmed and final" in m for m in shown_messages(response)
        )
    assert state(release) == confirmed


def test_an_overridden_decision_is_final(signer_client, withhold):
    act(signer_client, "override", [withhold], apply="Apply", amount="1000.00", reason="appeal")

    response = act(signer_client, "confirm", [withhold])

    assert any("already overridden and final" in m for m in shown_messages(response))
    assert state(withhold) == ("overridden", "release", Decimal("1000.00"), "second_reviewer")


def test_the_history_of_a_decision_shows_who_signed_it(signer_client, reviewer_client, release):
    act(signer_client, "confirm", [release])

    rows = history_rows(reviewer_client.get(f"{DECISIONS}{release.pk}/history/"))

    assert [(row["by"], row["reason"]) for row in rows] == [
        ("second_reviewer", "confirmed"),
        ("the system", f"recommended by run #{release.city_result.run_id}"),
    ]
    assert "Status: recommended, awaiting sign-off → confirmed" in rows[0]["changes"]


def test_the_history_of_an_override_shows_its_reason(signer_client, reviewer_client, release):
    act(signer_client, "override", [release], apply="Apply", amount="5.00", reason="appeal upheld")

    rows = history_rows(reviewer_client.get(f"{DECISIONS}{release.pk}/history/"))

    assert (rows[0]["by"], rows[0]["reason"]) == ("second_reviewer", "overridden: appeal upheld")
