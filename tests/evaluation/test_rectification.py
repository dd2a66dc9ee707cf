"""Rectification (整改) after the verdict: items opened when an official run is finalised, for
the cities graded below the ruleset's threshold, one per indicator they fell short on; the
city answers, a reviewer accepts or returns, by the workflow table; reminders before and after
the due date; isolated per city; every step in the item's history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from evaluation import workflow
from evaluation.exceptions import Forbidden, Locked, NotFound, WorkflowError
from evaluation.models import (
    EvaluationRun,
    IndicatorResult,
    OfficialAssignment,
    RectificationItem,
    RectificationReminder,
    Ruleset,
)
from evaluation.rectifications import (
    city_rectification,
    programme_rectification,
    rectification_item,
    rectification_items_for,
)
from evaluation.services.people import role_grant
from evaluation.services.rectification import (
    rectification_accept,
    rectification_answer,
    rectification_open,
    rectification_reminders_send,
    rectification_return,
)
from evaluation.services.runs import evaluation_run_request
from tests.factories import ParticipationFactory, UserFactory, add_value, meet_every_target
from tests.followup import sign_off

pytestmark = pytest.mark.django_db
LIFECYCLE = workflow.RECTIFICATION


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _staff(username, role):
    user = UserFactory(username=username)
    role_grant(user=user, role=role)
    return user


@pytest.fixture
def reviewer(db):
    return _staff("reviewer", "reviewer")


@pytest.fixture
def signer(db):
    return _staff("wang.fang", "reviewer")


@pytest.fixture
def shenzhen(programme):
    participation = ParticipationFactory(programme=programme, city__code="440300")
    meet_every_target(participation.city)
    return participation


@pytest.fixture
def chaoyang(programme):
    """Growth met and partial, one cumulative indicator partial, the rest not assessable: poor."""
    participation = ParticipationFactory(programme=programme, city__code="110105")
    city = participation.city
    add_value(city, "transfer_licence_count", "2019", "1000")
    add_value(city, "transfer_licence_count", "2021", "1500")
    add_value(city, "pledge_amount", "2019", "1000")
    add_value(city, "pledge_amount", "2021", "1210")
    add_value(city, "sme_transformations", "2020", "30")
    add_value(city, "sme_transformations", "2021", "25")
    return participation


@pytest.fixture
def official(chaoyang):
    user = UserFactory(username="li.wei")
    OfficialAssignment.objects.create(user=user, participation=chaoyang)
    return user


@pytest.fixture
def other_official(shenzhen):
    user = UserFactory(username="zhao.min")
    OfficialAssignment.objects.create(user=user, participation=shenzhen)
    return user


@pytest.fixture
def run(programme, shenzhen, chaoyang, reviewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queued = evaluation_run_request(
            programme=programme, trigger=EvaluationRun.Trigger.ADMIN, by=reviewer
        )
    return EvaluationRun.objects.get(pk=queued.pk)


@pytest.fixture
def finalised(run, signer):
    return sign_off(run, signer)


def items_of(participation):
    return list(
        RectificationItem.objects.filter(participation=participation).order_by(
            "indicator_result__position"
        )
    )


def test_finalising_opens_an_item_per_shortfall_of_each_city_below_the_threshold(
    finalised, shenzhen, chaoyang, signer
):
    assert items_of(shenzhen) == []  # excellent
    items = items_of(chaoyang)
    missed = IndicatorResult.objects.filter(
        city_result__run=finalised, city_result__participation=chaoyang
    ).exclude(status="met")
    assert {i.indicator_result_id for i in items} == set(missed.values_list("pk", flat=True))
    assert len(items) == 9  # every indicator but the transfers, which met their target
    due = timezone.localdate(finalised.finalised_at) + dt.timedelta(days=90)
    assert {i.due_date for i in items} == {due}
    assert {i.status for i in items} == {"open"}
    record = items[0].history.get()
    assert (record.history_user, record.history_change_reason) == (
        signer,
        f"opened: run #{finalised.pk} finalised",
    )


@pytest.mark.parametrize("threshold, opened", [("", 0), ("poor", 0), ("fair", 9), ("good", 9)])
def test_the_threshold_is_the_rulesets(run, signer, chaoyang, threshold, opened):
    """Chaoyang is graded poor: below fair and good, not below poor; no threshold, none."""
    Ruleset.objects.filter(pk=run.ruleset_id).update(rectification_below=threshold)
    sign_off(run, signer)
    assert len(items_of(chaoyang)) == opened


def test_opening_again_opens_nothing_more_and_a_provisional_run_opens_nothing(
    finalised, signer, evaluate_provisional
):
    count = RectificationItem.objects.count()
    assert rectification_open(run=finalised, by=signer) == []
    assert RectificationItem.objects.count() == count
    assert rectification_open(run=evaluate_provisional, by=signer) == []


@pytest.fixture
def evaluate_provisional(programme, reviewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queued = evaluation_run_request(
            programme=programme,
            kind=EvaluationRun.Kind.PROVISIONAL,
            trigger=EvaluationRun.Trigger.ADMIN,
            by=reviewer,
        )
    return EvaluationRun.objects.get(pk=queued.pk)


def snapshot(item):
    item = RectificationItem.objects.get(pk=item.pk)
    return (
        item.status,
        item.measures,
        item.evidence_note,
        item.evidence_file.name,
        item.review_comment,
        item.history.count(),
    )


@pytest.fixture
def item(finalised, chaoyang):
    return items_of(chaoyang)[0]


def test_the_city_answers_with_measures_and_a_file_of_evidence(item, official):
    evidence = SimpleUploadedFile("整改报告.pdf", b"%PDF-1.4 measures", "application/pdf")

    answered = rectification_answer(
        item=item,
        measures="新增质押融资风险补偿资金 2,000 万元",
        evidence_note="市财政局文件",
        evidence=evidence,
        by=official,
    )

    assert answered.status == "answered"
    assert answered.answered_by == official
    assert answered.evidence_name == "整改报告.pdf"
    with answered.evidence_file.open("rb") as kept:
        assert kept.read() == b"%PDF-1.4 measures"
    import hashlib

    assert answered.evidence_sha256 == hashlib.sha256(b"%PDF-1.4 measures").hexdigest()
    assert answered.history.latest().history_change_reason == "answered"


@pytest.mark.parametrize(
    "measures, evidence, field, code",
    [
        ("  ", None, "measures", "measures_required"),
        ("done", SimpleUploadedFile("run.exe", b"MZ"), "evidence_file", "evidence_type"),
        # Read by its content: a program named as a PDF is refused all the same.
        (
            "done",
            SimpleUploadedFile("整改报告.pdf", b"MZ\x90\x00"),
            "evidence_file",
            "evidence_type",
        ),
        ("done", SimpleUploadedFile("整改报告.pdf", b""), "evidence_file", "evidence_empty"),
    ],
)
def test_a_refused_answer_names_its_field_and_changes_nothing(
    item, official, measures, evidence, field, code
):
    before = snapshot(item)
    with pytest.raises(WorkflowError) as refused:
        rectification_answer(
            item=item, measures=measures, evidence_note="", evidence=evidence, by=official
        )
    assert [(e.field, e.code) for e in refused.value.errors] == [(field, code)]
    assert snapshot(item) == before


def test_a_file_of_evidence_too_large_is_refused(item, official, settings):
    settings.RECTIFICATION_EVIDENCE_MAX_MB = 1
    big = SimpleUploadedFile("scan.pdf", b"x" * (1024 * 1024 + 1))
    before = snapshot(item)

    with pytest.raises(WorkflowError) as refused:
        rectification_answer(item=item, measures="m", evidence_note="", evidence=big, by=official)

    assert refused.value.errors[0].code == "evidence_too_large"
    assert snapshot(item) == before


def test_only_the_citys_officials_answer(item, reviewer, other_official):
    before = snapshot(item)
    with pytest.raises(Forbidden):
        rectification_answer(item=item, measures="m", evidence_note="", by=reviewer)
    with pytest.raises(NotFound):
        rectification_answer(item=item, measures="m", evidence_note="", by=other_official)
    assert snapshot(item) == before


def item_in(state, item, official, reviewer):
    """An item brought to ``state`` through the services."""
    if state == "open":
        return item
    item = rectification_answer(item=item, measures="measures", evidence_note="", by=official)
    if state == "returned":
        return rectification_return(item=item, comment="add the contract", by=reviewer)
    if state == "accepted":
        return rectification_accept(item=item, by=reviewer)
    return item


def take(step, item, official, reviewer):
    if step == "answer":
        return rectification_answer(item=item, measures="again", evidence_note="", by=official)
    if step == "accept":
        return rectification_accept(item=item, by=reviewer)
    return rectification_return(item=item, comment="more", by=reviewer)


STORED = [code for code, _ in LIFECYCLE.choices()]


@pytest.mark.parametrize("state", STORED)
@pytest.mark.parametrize("step", list(LIFECYCLE.steps))
def test_each_step_is_taken_from_the_states_the_table_names_and_refused_from_the_others(
    state, step, item, official, reviewer
):
    item = item_in(state, item, official, reviewer)
    before = snapshot(item)
    chosen = LIFECYCLE.step(step)
    if state in chosen.sources:
        assert take(step, item, official, reviewer).status == chosen.target
        return
    if state in chosen.done:
        take(step, item, official, reviewer)
        assert snapshot(item) == before
        return
    refusal = LIFECYCLE.refusal(step, state)
    with pytest.raises(Locked if refusal.locked else WorkflowError) as refused:
        take(step, item, official, reviewer)
    [error] = refused.value.errors
    assert (error.field, error.code, error.reason) == (refusal.field, refusal.code, refusal.reason)
    assert snapshot(item) == before


def test_a_return_needs_a_comment_and_the_city_answers_again(item, official, reviewer):
    item = rectification_answer(item=item, measures="m", evidence_note="", by=official)
    with pytest.raises(WorkflowError) as refused:
        rectification_return(item=item, comment=" ", by=reviewer)
    assert refused.value.errors[0].code == "comment_required"

    returned = rectification_return(item=item, comment="attach the contract", by=reviewer)
    again = rectification_answer(
        item=returned, measures="m, with contract", evidence_note="", by=official
    )

    assert (returned.status, again.status) == ("returned", "answered")
    assert [r.history_change_reason for r in again.history.order_by("history_id")] == [
        f"opened: run #{item.city_result.run_id} finalised",
        "answered",
        "returned: attach the contract",
        "answered",
    ]


def test_officials_see_their_own_citys_items_and_reviewers_every_citys(
    item, official, other_official, reviewer, chaoyang, shenzhen
):
    today = dt.date.today()
    assert set(rectification_items_for(official)) == set(items_of(chaoyang))
    assert list(rectification_items_for(other_official)) == []
    assert list(rectification_items_for(AnonymousUser())) == []
    assert rectification_items_for(reviewer).count() == 9
    with pytest.raises(NotFound):
        rectification_item(pk=item.pk, fetched_by=other_official, today=today)
    with pytest.raises(NotFound):
        city_rectification(participation=chaoyang, fetched_by=other_official, today=today)
    with pytest.raises(Forbidden):
        programme_rectification(programme=chaoyang.programme, fetched_by=official, today=today)
    rows = city_rectification(participation=chaoyang, fetched_by=official, today=today)
    assert [r.answerable for r in rows] == [True] * 9


def test_the_programme_view_counts_and_puts_the_overdue_first(
    item, official, reviewer, chaoyang, django_assert_num_queries
):
    rectification_answer(item=item, measures="m", evidence_note="", by=official)
    late = item.due_date + dt.timedelta(days=1)

    view = programme_rectification(programme=chaoyang.programme, fetched_by=reviewer, today=late)

    assert dict((code, n) for code, _label, n in view.by_status) == {
        "open": 8,
        "answered": 1,
        "returned": 0,
        "accepted": 0,
    }
    assert view.overdue == 8  # the answered one awaits the reviewer, not the city
    assert [r.overdue for r in view.rows] == [True] * 8 + [False]
    (city,) = view.cities
    assert (city.code, city.open_items, city.overdue) == ("110105", 9, 8)
    with CaptureQueriesContext(connection) as queries:
        programme_rectification(programme=chaoyang.programme, fetched_by=reviewer, today=late)
    assert len(queries.captured_queries) <= 3


def test_reminders_go_before_and_after_the_due_date_once_each(item, official, chaoyang):
    official.email = "li.wei@example.org"
    official.save()
    due = item.due_date

    assert rectification_reminders_send(today=due - dt.timedelta(days=10)) == 0
    assert rectification_reminders_send(today=due - dt.timedelta(days=2)) == 1
    assert rectification_reminders_send(today=due - dt.timedelta(days=1)) == 0
    assert rectification_reminders_send(today=due + dt.timedelta(days=1)) == 1
    assert rectification_reminders_send(today=due + dt.timedelta(days=2)) == 0

    before, after = mail.outbox
    assert before.to == ["li.wei@example.org"]
    assert "9 rectification item(s) due on" in before.subject
    assert "were due on" in after.subject
    assert f"/city/{chaoyang.pk}/rectification/" in before.body
    assert RectificationReminder.objects.count() == 18


def test_no_reminder_for_an_item_that_no_longer_awaits_the_city(item, official, reviewer):
    official.email = "li.wei@example.org"
    official.save()
    for each in RectificationItem.objects.all():
        rectification_answer(item=each, measures="m", evidence_note="", by=official)

    assert rectification_reminders_send(today=item.due_date) == 0
    assert mail.outbox == []
