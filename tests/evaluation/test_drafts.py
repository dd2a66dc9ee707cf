"""Draft rulesets (``services.drafts``): a draft sits beside the published versions, is never
current and never used by a run until an administrator publishes it; its edits are checked by
the scoring core's rules of a ruleset, every refusal names its field and changes nothing, and
every change is kept in its history with who made it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from evaluation.exceptions import Forbidden, Locked, WorkflowError
from evaluation.models import EvaluationRun, GradeBand, IndicatorRule, OfficialAssignment, Ruleset
from evaluation.selectors import ruleset_current
from evaluation.services.drafts import (
    BandEdit,
    RuleEdit,
    ruleset_draft_create,
    ruleset_draft_edit,
    ruleset_publish,
)
from evaluation.services.people import role_grant
from evaluation.services.rulesets import ruleset_freeze, ruleset_revise
from evaluation.services.runs import evaluation_run_request
from tests.factories import ParticipationFactory, UserFactory, meet_every_target

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(db):
    user = UserFactory(username="wang.fang")
    role_grant(user=user, role="reviewer")
    return user


@pytest.fixture
def administrator(db):
    user = UserFactory(username="administrator")
    role_grant(user=user, role="administrator")
    return user


@pytest.fixture
def official(programme):
    user = UserFactory(username="li.wei")
    OfficialAssignment.objects.create(
        user=user, participation=ParticipationFactory(programme=programme)
    )
    return user


def snapshot(ruleset: Ruleset) -> tuple:
    ruleset = Ruleset.objects.get(pk=ruleset.pk)
    return (
        ruleset.version,
        ruleset.is_draft,
        ruleset.rectification_below,
        ruleset.rectification_days,
        ruleset.notes,
        tuple(ruleset.rules.order_by("pk").values_list("kind", "floor", "weight")),
        tuple(ruleset.bands.order_by("pk").values_list("min_score", "release_share")),
    )


def test_a_draft_is_a_copy_of_the_current_ruleset_that_is_not_current(programme, reviewer):
    published = ruleset_current(programme=programme)

    draft = ruleset_draft_create(programme=programme, by=reviewer)

    assert (draft.version, draft.is_draft) == (published.version + 1, True)
    assert snapshot(draft)[2:4] == snapshot(published)[2:4]
    assert snapshot(draft)[5:] == snapshot(published)[5:]
    assert ruleset_current(programme=programme) == published
    record = draft.history.get()
    assert (record.history_user, record.history_change_reason) == (
        reviewer,
        f"draft made from {published.label}",
    )


def test_a_run_never_uses_a_draft(programme, reviewer, django_capture_on_commit_callbacks):
    meet_every_target(ParticipationFactory(programme=programme).city)
    draft = ruleset_draft_create(programme=programme, by=reviewer)
    ruleset_draft_edit(
        draft=draft,
        by=reviewer,
        rules={
            "certified_entities": RuleEdit("cumulative", Decimal(200), Decimal(25)),
            "transfer_licence_count": RuleEdit("growth", Decimal("0.2"), Decimal(10)),
        },
    )

    with django_capture_on_commit_callbacks(execute=True):
        run = evaluation_run_request(
            programme=programme, trigger=EvaluationRun.Trigger.ADMIN, by=reviewer
        )

    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.SUCCEEDED, run.error
    assert run.ruleset.version == 1
    draft.refresh_from_db()
    assert draft.frozen_at is None


def test_editing_a_draft_changes_only_the_draft(programme, reviewer):
    published = ruleset_current(programme=programme)
    before = snapshot(published)
    draft = ruleset_draft_create(programme=programme, by=reviewer)

    ruleset_draft_edit(
        draft=draft,
        by=reviewer,
        rules={
            "certified_entities": RuleEdit("cumulative", Decimal(150), Decimal(20)),
            "transfer_licence_count": RuleEdit("growth", Decimal("0.25"), Decimal(15)),
        },
        bands={"good": BandEdit(Decimal(85), Decimal("0.75"))},
        rectification_below="fair",
        rectification_days=60,
        notes="heavier on certification",
    )

    assert snapshot(published) == before
    rule = IndicatorRule.objects.get(ruleset=draft, indicator__code="certified_entities")
    assert (rule.floor, rule.weight) == (Decimal(150), Decimal(20))
    band = GradeBand.objects.get(ruleset=draft, grade="good")
    assert (band.min_score, band.release_share) == (Decimal(85), Decimal("0.75"))
    draft.refresh_from_db()
    assert (draft.rectification_below, draft.rectification_days, draft.notes) == (
        "fair",
        60,
        "heavier on certification",
    )
    assert rule.history.latest().history_user == reviewer


@pytest.mark.parametrize(
    "changes, field, code",
    [
        (
            {"rules": {"certified_entities": RuleEdit("cumulative", Decimal(200), Decimal(30))}},
            "rules",
            "invalid_ruleset",
        ),
        (
            {"rules": {"certified_entities": RuleEdit("cumulative", Decimal(0), Decimal(15))}},
            "rules.certified_entities.floor",
            "not_above_zero",
        ),
        (
            {"rules": {"certified_entities": RuleEdit("sometimes", Decimal(200), Decimal(15))}},
            "rules.certified_entities.kind",
            "unknown_kind",
        ),
        ({"bands": {"poor": BandEdit(Decimal(10), Decimal(0))}}, "bands", "invalid_ruleset"),
        (
            {"bands": {"good": BandEdit(Decimal(80), Decimal(2))}},
            "bands.good.release_share",
            "outside_range",
        ),
        ({"rectification_below": "splendid"}, "rectification_below", "not_a_grade"),
        ({"rectification_days": 0}, "rectification_days", "outside_range"),
    ],
)
def test_a_refused_edit_names_its_field_and_changes_nothing(
    programme, reviewer, changes, field, code
):
    draft = ruleset_draft_create(programme=programme, by=reviewer)
    before = snapshot(draft)

    with pytest.raises(WorkflowError) as refused:
        ruleset_draft_edit(draft=draft, by=reviewer, **changes)

    assert (field, code) in {(e.field, e.code) for e in refused.value.errors}
    assert snapshot(draft) == before


def test_only_reviewers_make_and_edit_drafts(programme, reviewer, official):
    draft = ruleset_draft_create(programme=programme, by=reviewer)
    before = snapshot(draft)
    for person in (official, AnonymousUser()):
        with pytest.raises(Forbidden):
            ruleset_draft_create(programme=programme, by=person)
        with pytest.raises(Forbidden):
            ruleset_draft_edit(draft=draft, by=person, rectification_days=30)
    assert snapshot(draft) == before
    assert Ruleset.objects.filter(programme=programme).count() == 2


def test_a_published_ruleset_is_not_edited_as_a_draft(programme, reviewer):
    published = ruleset_current(programme=programme)
    before = snapshot(published)

    with pytest.raises(Locked) as refused:
        ruleset_draft_edit(draft=published, by=reviewer, rectification_days=30)

    assert refused.value.errors[0].code == "ruleset_not_a_draft"
    assert snapshot(published) == before


def test_an_administrator_publishes_a_draft_and_it_becomes_current(
    programme, reviewer, administrator
):
    draft = ruleset_draft_create(programme=programme, by=reviewer)
    with pytest.raises(Forbidden):
        ruleset_publish(draft=draft, by=reviewer)
    assert ruleset_current(programme=programme).version == 1

    published = ruleset_publish(draft=draft, by=administrator)

    assert (published.version, published.is_draft) == (2, False)
    assert ruleset_current(programme=programme) == published
    assert published.history.latest().history_change_reason == "published (draft 2020-v2)"
    with pytest.raises(Locked):
        ruleset_publish(draft=published, by=administrator)


def test_a_draft_published_after_a_newer_version_takes_the_next_number(
    programme, reviewer, administrator
):
    v1 = ruleset_current(programme=programme)
    draft = ruleset_draft_create(programme=programme, by=reviewer)  # version 2
    ruleset_freeze(ruleset=v1)
    v3 = ruleset_revise(ruleset=v1, by=administrator, weights={})
    assert ruleset_current(programme=programme) == v3

    published = ruleset_publish(draft=draft, by=administrator)

    assert published.version == 4
    assert ruleset_current(programme=programme) == published


def test_the_database_refuses_a_draft_used_by_a_run(programme, reviewer):
    draft = ruleset_draft_create(programme=programme, by=reviewer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ruleset.objects.filter(pk=draft.pk).update(frozen_at=timezone.now())


def test_a_revision_keeps_the_rectification_threshold(programme, administrator):
    v1 = ruleset_current(programme=programme)
    Ruleset.objects.filter(pk=v1.pk).update(rectification_below="fair", rectification_days=30)
    ruleset_freeze(ruleset=Ruleset.objects.get(pk=v1.pk))

    v2 = ruleset_revise(ruleset=Ruleset.objects.get(pk=v1.pk), by=administrator, weights={})

    assert (v2.rectification_below, v2.rectification_days) == ("fair", 30)


def test_the_admin_neither_makes_a_draft_nor_moves_the_threshold(programme, administrator):
    from tests.admin.conftest import form_data
    from tests.reports.conftest import logged_in

    ruleset = ruleset_current(programme=programme)
    before = snapshot(ruleset)
    client = logged_in(administrator)
    url = f"/admin/evaluation/ruleset/{ruleset.pk}/change/"
    data = form_data(client.get(url)) | {
        "is_draft": "on",
        "rectification_below": "excellent",
        "rectification_days": "5",
    }

    client.post(url, data)

    assert snapshot(ruleset) == before
    assert ruleset_current(programme=programme) == Ruleset.objects.get(pk=ruleset.pk)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_reviewers_making_drafts_at_once_get_two_versions():
    """The second waits for the first's version, then takes the next (Django drops a lock asked
    for with an aggregate: both took the same number and the second met the constraint)."""
    from django.db import connection

    from evaluation.models import Programme
    from tests.concurrently import at_once

    if connection.vendor != "postgresql":
        pytest.skip("needs two connections that lock each other: PostgreSQL")
    programme = Programme.objects.get(code="2020")
    first_reviewer, second_reviewer = (
        UserFactory(username="wang.fang"),
        UserFactory(username="zhao.min"),
    )
    for user in (first_reviewer, second_reviewer):
        role_grant(user=user, role="reviewer")

    outcome = at_once(
        lambda: ruleset_draft_create(programme=programme, by=first_reviewer),
        lambda: ruleset_draft_create(programme=programme, by=second_reviewer),
    )

    assert outcome.second_waited, outcome
    assert isinstance(outcome.first, Ruleset), outcome
    assert isinstance(outcome.second, Ruleset), outcome
    assert outcome.second.version == outcome.first.version + 1
