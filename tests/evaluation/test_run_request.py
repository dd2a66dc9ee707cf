"""Asking for an evaluation run checks the caller itself, like every other service: a city
official (or anyone without a ministry role) is refused, whichever way they came in, and
nothing is queued or frozen."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from evaluation.exceptions import Forbidden
from evaluation.models import EvaluationRun, OutboxTask
from evaluation.services.runs import evaluation_run_request
from tests.factories import ParticipationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["official", "nobody", "anonymous"])
def test_only_reviewers_or_the_system_ask_for_a_run(programme, who):
    participation = ParticipationFactory(programme=programme, city__code="440300")
    user = UserFactory(username="li.wei")
    if who == "official":
        participation.officials.create(user=user)
    caller = AnonymousUser() if who == "anonymous" else user
    ruleset = programme.rulesets.get()

    with pytest.raises(Forbidden):
        evaluation_run_request(programme=programme, trigger="api", by=caller)  # type: ignore[arg-type]

    assert not EvaluationRun.objects.exists()
    assert not OutboxTask.objects.exists()
    ruleset.refresh_from_db()
    assert ruleset.frozen_at is None


def test_a_reviewer_and_the_system_may(programme, reviewer):
    by_reviewer = evaluation_run_request(programme=programme, trigger="api", by=reviewer)
    by_system = evaluation_run_request(programme=programme, trigger="command", by=None)

    assert [r.triggered_by for r in (by_reviewer, by_system)] == [reviewer, None]
