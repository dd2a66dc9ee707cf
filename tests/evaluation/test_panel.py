"""The tasks and the expert panel: the optional tasks a city chooses, which experts score which
city (never their own), their scores (0 to 1, two decimals, only of the city's tasks), and what
a run does with them: it fails naming a city that chose no optional task, scores a task with no
score as not assessable (flagged), keeps the scores it read, and a finalised run fixes them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from evaluation.exceptions import ImportRefused, Locked, NotFound, WorkflowError
from evaluation.models import (
    EvaluationRun,
    ExpertProfile,
    IndicatorResult,
    OfficialAssignment,
    PanelAssignment,
    PanelMarkResult,
    TaskChoice,
    TaskScore,
)
from evaluation.services import panel
from evaluation.services.people import role_grant
from reports.verification import run_verify
from tests.conftest import csv_bytes
from tests.factories import ParticipationFactory, UserFactory, meet_every_target
from tests.parts import expert, finalise, official_run, reviewer_named, ruleset_with_parts

pytestmark = pytest.mark.django_db


@pytest.fixture
def parts(programme):
    return ruleset_with_parts(programme)


@pytest.fixture
def hefei(programme, parts):
    return ParticipationFactory(programme=programme, city__code="340100", city__name_en="Hefei")


@pytest.fixture
def kunming(programme, parts):
    return ParticipationFactory(programme=programme, city__code="530100", city__name_en="Kunming")


@pytest.fixture
def official(hefei):
    user = UserFactory(username="li.wei")
    OfficialAssignment.objects.create(user=user, participation=hefei)
    return user


def chosen(participation) -> list[str]:
    return sorted(
        TaskChoice.objects.filter(participation=participation).values_list("task__code", flat=True)
    )


def codes(error: WorkflowError) -> list[tuple[str | None, str]]:
    return [(e.field, e.code) for e in error.errors]


# Choices ------------------------------------------------------------------------------------------


def test_the_citys_official_chooses_its_optional_tasks_with_history(hefei, official):
    change = panel.task_choices_set(participation=hefei, tasks=["fund", "training"], by=official)
    later = panel.task_choices_set(participation=hefei, tasks=["fund"], by=official)

    assert (change.added, later.removed) == (["fund", "training"], ["training"])
    assert chosen(hefei) == ["fund"]
    record = TaskChoice.history.filter(task__code="training").order_by("history_id").last()
    assert (record.history_type, record.history_user) == ("-", official)


@pytest.mark.parametrize(
    ("tasks", "refused"),
    [
        (["platform"], [("tasks", "task_compulsory")]),
        (["nonesuch"], [("tasks", "unknown_task")]),
        ([], [("tasks", "no_optional_task")]),
    ],
)
def test_a_choice_out_of_the_ruleset_is_refused(hefei, official, tasks, refused):
    with pytest.raises(WorkflowError) as error:
        panel.task_choices_set(participation=hefei, tasks=tasks, by=official)

    assert codes(error.value) == refused
    assert chosen(hefei) == []


def test_a_task_the_experts_scored_stays_chosen(hefei, official):
    panel.task_choices_set(participation=hefei, tasks=["fund"], by=official)
    scorer = expert("zhou.expert", hefei)
    panel.task_score_set(participation=hefei, task="fund", score="0.8", comment="", by=scorer)

    with pytest.raises(WorkflowError) as error:
        panel.task_choices_set(participation=hefei, tasks=["training"], by=official)

    assert codes(error.value) == [("tasks", "task_scored")]
    assert chosen(hefei) == ["fund"]


def test_import_task_choices_sets_each_named_citys_choices(hefei, kunming, reviewer, official):
    panel.task_choices_set(participation=kunming, tasks=["training"], by=reviewer)
    data = csv_bytes("city_code,task", "340100,fund", "340100,navigation_service")

    summary = panel.task_choices_import(
        name="choices.csv", data=data, programme=hefei.programme, by=None
    )
    again = panel.task_choices_import(
        name="choices.csv", data=data, programme=hefei.programme, by=None
    )

    assert (summary.created, again.unchanged) == (2, 2)
    assert chosen(hefei) == ["fund", "navigation_service"]
    assert chosen(kunming) == ["training"]


def test_a_bad_choices_file_names_every_row_and_saves_nothing(hefei):
    data = csv_bytes(
        "city_code,task",
        "340100,fund",
        "340100,platform",
        "340100,nonesuch",
        "999999,fund",
        "340100,fund",
    )

    with pytest.raises(ImportRefused) as refused:
        panel.task_choices_import(name="c.csv", data=data, programme=hefei.programme, by=None)

    assert [(e.line, e.code) for e in refused.value.errors] == [
        (3, "task_compulsory"),
        (4, "unknown_task"),
        (5, "invalid"),
        (6, "invalid"),
    ]
    assert chosen(hefei) == []


# The panel -------------------------------------------------------------------------------------


def test_an_expert_never_scores_their_own_city(hefei, kunming, official):
    their_own = expert("sun.expert")
    ExpertProfile.objects.create(user=their_own, home_city=hefei.city)
    OfficialAssignment.objects.create(user=official, participation=kunming)
    role_grant(user=official, role="expert", by=None)

    with pytest.raises(WorkflowError) as home:
        panel.expert_assign(expert=their_own, participation=hefei, by=None)
    with pytest.raises(WorkflowError) as officials:
        panel.expert_assign(expert=official, participation=kunming, by=None)

    assert codes(home.value) == codes(officials.value) == [("participation", "own_city")]
    assert panel.expert_assign(expert=their_own, participation=kunming, by=None) is True
    assert not PanelAssignment.objects.filter(participation=hefei).exists()


def test_only_an_expert_is_put_on_a_panel(hefei):
    with pytest.raises(WorkflowError) as error:
        panel.expert_assign(expert=UserFactory(username="nobody"), participation=hefei, by=None)

    assert codes(error.value) == [("expert", "not_an_expert")]


def test_assign_expert_puts_them_on_every_city_but_their_own(hefei, kunming):
    user = expert("qian.expert")
    call_command("assign_expert", "qian.expert", "--programme", "2020", "--home-city", "340100")

    assert list(
        PanelAssignment.objects.filter(expert=user).values_list(
            "participation__city__code", flat=True
        )
    ) == ["530100"]
    with pytest.raises(CommandError, match="never scores their own city"):
        call_command("assign_expert", "qian.expert", "--programme", "2020", "--city", "340100")


# Scores ------------------------------------------------------------------------------------------


@pytest.fixture
def scorer(hefei):
    panel.task_choices_set(participation=hefei, tasks=["fund"], by=None)
    return expert("zhou.expert", hefei)


def test_an_expert_scores_a_task_with_a_comment_and_its_history(hefei, scorer):
    first = panel.task_score_set(
        participation=hefei, task="platform", score="0.8", comment="built", by=scorer
    )
    panel.task_score_set(
        participation=hefei, task="platform", score="0.85", comment="built, used", by=scorer
    )

    stored = TaskScore.objects.get(pk=first.pk)
    assert (stored.score, stored.comment) == (Decimal("0.85"), "built, used")
    assert [(h.history_user.username, h.score) for h in stored.history.order_by("history_id")] == [
        ("zhou.expert", Decimal("0.80")),
        ("zhou.expert", Decimal("0.85")),
    ]


@pytest.mark.parametrize(
    ("task", "score", "refused"),
    [
        ("training", "0.5", [("task", "task_not_chosen")]),
        ("platform", "1.5", [("score", "score_above_one")]),
        ("platform", "0.125", [("score", "too_many_decimals")]),
        ("platform", "-0.1", [("score", "negative")]),
    ],
)
def test_a_score_out_of_the_rules_is_refused(hefei, scorer, task, score, refused):
    with pytest.raises(WorkflowError) as error:
        panel.task_score_set(participation=hefei, task=task, score=score, comment="", by=scorer)

    assert codes(error.value) == refused
    assert not TaskScore.objects.exists()


def test_an_expert_not_on_the_citys_panel_scores_nothing_of_it(hefei, kunming, scorer):
    elsewhere = expert("wu.expert", kunming)

    with pytest.raises(NotFound):
        panel.task_score_set(
            participation=hefei, task="platform", score="1", comment="", by=elsewhere
        )


def test_import_task_scores_loads_the_panels_scores_all_or_nothing(hefei, scorer):
    stranger = expert("wu.expert")
    header = "city_code,task,expert,score,comment"
    good = csv_bytes(header, "340100,platform,zhou.expert,0.9,ok", "340100,fund,zhou.expert,1,")
    bad = csv_bytes(
        header,
        "340100,platform,zhou.expert,0.9,ok",
        "340100,training,zhou.expert,0.5,",
        "340100,talent,wu.expert,0.5,",
        "340100,talent,nobody,0.5,",
        "340100,talent,zhou.expert,2,",
    )

    summary = panel.task_scores_import(name="s.csv", data=good, programme=hefei.programme, by=None)
    with pytest.raises(ImportRefused) as refused:
        panel.task_scores_import(name="s.csv", data=bad, programme=hefei.programme, by=None)

    assert summary.created == 2
    assert [(e.line, e.column, e.code) for e in refused.value.errors] == [
        (3, "task", "task_not_chosen"),
        (4, "expert", "not_on_the_panel"),
        (5, "expert", "invalid"),
        (6, "score", "score_above_one"),
    ]
    assert TaskScore.objects.count() == 2
    assert stranger.task_scores.count() == 0


# Runs --------------------------------------------------------------------------------------------


def test_a_run_fails_naming_every_city_with_no_optional_task_chosen(
    hefei, kunming, reviewer, django_capture_on_commit_callbacks
):
    panel.task_choices_set(participation=kunming, tasks=["fund"], by=None)

    run = official_run(hefei.programme, by=reviewer, capture=django_capture_on_commit_callbacks)

    assert run.status == EvaluationRun.Status.FAILED
    assert run.error == (
        "city 340100: has chosen no optional task; a city chooses at least one in its plan"
    )


def test_missing_scores_are_named_per_task_and_scored_not_assessable(
    hefei, scorer, reviewer, django_capture_on_commit_callbacks
):
    meet_every_target(hefei.city)
    panel.task_score_set(participation=hefei, task="platform", score="1", comment="", by=scorer)

    run = official_run(hefei.programme, by=reviewer, capture=django_capture_on_commit_callbacks)

    results = {
        r.indicator.code: r
        for r in IndicatorResult.objects.filter(city_result__run=run).select_related("indicator")
    }
    assert (results["platform"].status, results["platform"].points) == ("met", Decimal("8.00"))
    for code in ("talent", "fund"):
        assert (results[code].status, results[code].points) == ("not_assessable", 0)
        assert results[code].reason.endswith("flagged for review.")
    city = run.city_results.get()
    assert city.reason.endswith("flagged for review: budget_execution, talent, fund.")
    assert "training" not in results  # not chosen, not scored


def test_a_run_keeps_the_scores_it_read_and_a_finalised_one_fixes_them(
    hefei, scorer, reviewer, django_capture_on_commit_callbacks
):
    meet_every_target(hefei.city)
    panel.task_score_set(participation=hefei, task="fund", score="0.7", comment="", by=scorer)
    run = official_run(hefei.programme, by=reviewer, capture=django_capture_on_commit_callbacks)
    kept = PanelMarkResult.objects.get(indicator_result__city_result__run=run)
    assert (kept.expert, kept.score, kept.counted) == (scorer, Decimal("0.70"), True)

    panel.task_score_set(participation=hefei, task="fund", score="0.6", comment="", by=scorer)
    assert not run_verify(run=run).matches  # the inputs moved while the run was not final
    panel.task_score_set(participation=hefei, task="fund", score="0.7", comment="", by=scorer)
    run = official_run(hefei.programme, by=reviewer, capture=django_capture_on_commit_callbacks)
    finalise(run, by=reviewer_named("second_reviewer"))

    with pytest.raises(Locked) as locked:
        panel.task_score_set(participation=hefei, task="fund", score="0.9", comment="", by=scorer)
    assert locked.value.errors[0].code == "score_final"
    assert run_verify(run=run).matches
    # A task nobody scored before the finalised run may still be scored (for a later one).
    panel.task_score_set(participation=hefei, task="talent", score="0.5", comment="", by=scorer)
