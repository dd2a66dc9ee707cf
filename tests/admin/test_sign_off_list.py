"""The sign-off list offers only decisions that can be signed off: by default those awaiting
sign-off; a provisional or superseded run's decisions only under "not for sign-off", labelled
so, never "awaiting sign-off"; the list filters by run. The list and the sign-off services
follow one rule (``decisions.decisions_sign_off``)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluation.models import EvaluationRun, TrancheDecision
from evaluation.services import decisions
from evaluation.services.reporting import Locked
from tests.admin.conftest import page, shown_messages
from tests.factories import ParticipationFactory, meet_every_target

pytestmark = pytest.mark.django_db

DECISIONS = "/admin/evaluation/tranchedecision/"


@pytest.fixture
def official_run(city_a, city_b, evaluate) -> EvaluationRun:
    meet_every_target(city_a.city)
    return evaluate()


@pytest.fixture
def provisional(official_run, evaluate) -> EvaluationRun:
    """A provisional run of the same programme and date, after the official one."""
    return evaluate(kind=EvaluationRun.Kind.PROVISIONAL)


def decisions_of(run: EvaluationRun) -> set[int]:
    return set(TrancheDecision.objects.filter(city_result__run=run).values_list("pk", flat=True))


def listed(response) -> set[int]:
    assert response.status_code == 200
    return {d.pk for d in response.context["cl"].result_list}


def row_texts(response) -> dict[int, str]:
    """Each listed decision's row, as the reviewer reads it."""
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", response.content.decode(), re.S):
        found = re.search(r'name="_selected_action" value="(\d+)"', row)
        if found:
            rows[int(found.group(1))] = page(type("R", (), {"content": row.encode()})())
    return rows


def test_by_default_only_decisions_awaiting_sign_off_are_listed(
    signer_client, official_run, provisional
):
    response = signer_client.get(DECISIONS)

    assert listed(response) == decisions_of(official_run)
    for text in row_texts(response).values():
        assert "awaiting sign-off" in text
    assert "provisional" not in " ".join(row_texts(response).values())


def test_a_provisional_runs_decisions_read_as_not_for_sign_off(
    signer_client, official_run, provisional
):
    response = signer_client.get(DECISIONS + "?sign_off=not_for_sign_off")

    assert listed(response) == decisions_of(provisional)
    rows = row_texts(response)
    assert len(rows) == 2
    for text in rows.values():
        assert "provisional, not for sign-off" in text
        assert "awaiting sign-off" not in text


def test_every_decision_says_where_it_stands_under_all(signer_client, official_run, provisional):
    response = signer_client.get(DECISIONS + "?sign_off=all")

    rows = row_texts(response)
    assert set(rows) == decisions_of(official_run) | decisions_of(provisional)
    assert {pk for pk, text in rows.items() if "awaiting sign-off" in text} == decisions_of(
        official_run
    )


def test_the_reviewer_who_triggered_the_run_is_told_another_reviewer_signs_off(
    reviewer_client, official_run
):
    response = reviewer_client.get(DECISIONS)

    assert listed(response) == decisions_of(official_run)
    for text in row_texts(response).values():
        assert "awaiting sign-off by another reviewer (you triggered the run)" in text


def test_a_superseded_runs_decisions_are_not_for_sign_off(signer_client, official_run, evaluate):
    newer = evaluate()

    assert listed(signer_client.get(DECISIONS)) == decisions_of(newer)
    response = signer_client.get(DECISIONS + "?sign_off=not_for_sign_off")
    assert listed(response) == decisions_of(official_run)
    for text in row_texts(response).values():
        assert "superseded by a newer run of this date" in text


def test_a_signed_off_decision_leaves_the_list_awaiting_sign_off(signer_client, official_run):
    release = TrancheDecision.objects.get(
        city_result__run=official_run, city_result__participation__city__code="440300"
    )
    response = signer_client.post(
        DECISIONS,
        {"action": "confirm", "_selected_action": [release.pk], "apply": "Apply"},
        follow=True,
    )
    assert "Signed off 1 decision as recommended: 50,000,000.00 yuan in all." in shown_messages(
        response
    )

    assert release.pk not in listed(signer_client.get(DECISIONS))
    signed = signer_client.get(DECISIONS + "?sign_off=signed")
    assert listed(signed) == {release.pk}
    assert "confirmed" in row_texts(signed)[release.pk]


def test_confirming_a_provisional_decision_shown_under_all_is_refused(
    signer_client, official_run, provisional
):
    chosen = sorted(decisions_of(provisional))

    response = signer_client.post(
        DECISIONS + "?sign_off=all",
        {"action": "confirm", "_selected_action": chosen},
        follow=True,
    )

    messages = shown_messages(response)
    assert len(messages) == 2
    assert all("only the decisions of a successful official run" in m for m in messages)
    assert set(TrancheDecision.objects.filter(pk__in=chosen).values_list("status", flat=True)) == {
        "recommended"
    }


def test_the_list_filters_by_run(signer_client, official_run, provisional):
    response = signer_client.get(DECISIONS + f"?sign_off=all&run={provisional.pk}")

    assert listed(response) == decisions_of(provisional)
    text = page(signer_client.get(DECISIONS))
    assert f"#{official_run.pk} · programme 2020 · 2021-12-31 · official" in text
    assert f"#{provisional.pk} · programme 2020 · 2021-12-31 · provisional" in text
    assert listed(signer_client.get(DECISIONS + "?sign_off=all&run=x")) == set()


def test_the_list_costs_the_same_queries_however_many_decisions(
    signer_client, programme, city_a, city_b, evaluate
):
    evaluate()
    with CaptureQueriesContext(connection) as few:
        assert len(listed(signer_client.get(DECISIONS))) == 2
    for code in ("340100", "370600", "410300", "420500"):
        ParticipationFactory(programme=programme, city__code=code)
    evaluate()
    evaluate(kind=EvaluationRun.Kind.PROVISIONAL)
    with CaptureQueriesContext(connection) as many:
        assert len(listed(signer_client.get(DECISIONS))) == 6

    assert len(many) == len(few)


@pytest.mark.parametrize("who", ["official_client", "anonymous_client"])
def test_city_officials_and_visitors_cannot_reach_the_list(request, who, official_run):
    client = request.getfixturevalue(who)

    response = client.get(DECISIONS)

    assert response.status_code == 302 and "/login/" in response["Location"]
    assert "440300" not in response.content.decode()


def test_the_list_and_the_services_follow_one_rule(
    reviewer, second_reviewer, official_run, provisional, evaluate
):
    """Every decision the rule says is open can be confirmed; every other one is refused."""
    newer = evaluate()
    everything = decisions.decisions_sign_off(by=second_reviewer)
    states = dict(everything.values_list("pk", "sign_off"))
    assert set(states.values()) == {"open", "provisional", "superseded"}
    assert decisions.decisions_sign_off(by=reviewer).filter(pk__in=decisions_of(newer)).values_list(
        "sign_off", flat=True
    ).distinct().get() == ("own_run")

    for pk, state in sorted(states.items(), key=lambda item: item[1] != "open"):
        decision = TrancheDecision.objects.get(pk=pk)
        if state == "open":
            assert decisions.decision_confirm(decision=decision, by=second_reviewer)
        else:
            with pytest.raises(Locked):
                decisions.decision_confirm(decision=decision, by=second_reviewer)


def test_amounts_are_listed_in_yuan_with_thousands_separators(signer_client, official_run):
    response = signer_client.get(DECISIONS)
    rows = row_texts(response)
    full = TrancheDecision.objects.get(
        city_result__run=official_run, recommended_amount__gt=0
    ).recommended_amount
    assert full >= 1_000_000
    assert any(f"{full:,.2f}" in text for text in rows.values()), rows
    assert not any(f"{full:.2f}" in text for text in rows.values())
