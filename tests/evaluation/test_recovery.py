"""Every run ends (issue 12), against the database: the plan is fixed at start, a chunk's
deliveries are counted and bounded, the sweep re-queues or fails a run without progress, a
reviewer restarts a failed run. Real workers killed at each window: tests/integration."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from evaluation import testhook
from evaluation.exceptions import Forbidden, Locked
from evaluation.models import CityResult, EvaluationRun, OutboxTask, RunChunk
from evaluation.services.recovery import (
    evaluation_chunk_failed,
    evaluation_run_restart,
    evaluation_runs_sweep,
    evaluation_start_failed,
)
from evaluation.services.runs import (
    evaluation_chunk_execute,
    evaluation_chunk_queued,
    evaluation_run_execute,
    evaluation_run_request,
    evaluation_run_start,
)
from tests.factories import ParticipationFactory, UserFactory, add_value

pytestmark = pytest.mark.django_db


@pytest.fixture
def cities(programme):
    """Five cities, each scoring differently."""
    made = []
    for n in range(5):
        participation = ParticipationFactory(programme=programme, city__code=f"{110000 + n}")
        add_value(participation.city, "sme_transformations", "2020", str(10 * n + 1))
        add_value(participation.city, "transfer_licence_count", "2019", "100")
        add_value(participation.city, "transfer_licence_count", "2021", str(100 + 15 * n))
        made.append(participation)
    return made


@pytest.fixture
def small_chunks(settings):
    settings.EVALUATION_CHUNK_SIZE = 2
    settings.EVALUATION_MAX_DELIVERIES = 3
    settings.EVALUATION_STALL_SECONDS = 60


@pytest.fixture
def queued(programme, django_capture_on_commit_callbacks):
    """A requested run whose start task is not sent: the tests deliver it by hand."""

    def request() -> EvaluationRun:
        with django_capture_on_commit_callbacks(execute=False):
            return evaluation_run_request(programme=programme, trigger="command", by=None)

    return request


def sent(task: str) -> list[dict[str, int]]:
    return [row.kwargs for row in OutboxTask.objects.filter(task=task).order_by("pk")]


def chunk_sends() -> list[tuple[int, int]]:
    return [(k["run_id"], k["number"]) for k in sent("evaluation.tasks.evaluate_chunk")]


def result_digests(run: EvaluationRun) -> dict[int, str]:
    return dict(CityResult.objects.filter(run=run).values_list("participation", "result_digest"))


def uninterrupted(queued) -> EvaluationRun:
    return evaluation_run_execute(run_id=queued().pk)


# The plan ------------------------------------------------------------------------------------


def test_a_start_delivered_twice_with_a_city_added_between_completes_on_the_first_plan(
    programme, cities, small_chunks, queued
):
    run = queued()
    first = evaluation_run_start(run_id=run.pk)
    for number in first:
        evaluation_chunk_queued(run_id=run.pk, number=number)
    late = ParticipationFactory(programme=programme, city__code="120000")

    again = evaluation_run_start(run_id=run.pk)

    assert first == [1, 2, 3]
    assert again == [], "every chunk of the plan was sent already"
    plan = list(RunChunk.objects.filter(run=run).values_list("number", "participation_ids"))
    assert plan == [
        (1, [c.pk for c in cities[:2]]),
        (2, [c.pk for c in cities[2:4]]),
        (3, [cities[4].pk]),
    ]
    for number in first:
        evaluation_chunk_execute(run_id=run.pk, number=number)
    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.SUCCEEDED, run.error
    assert run.cities_total == 5
    assert not CityResult.objects.filter(run=run, participation=late).exists()


def test_a_start_redelivered_part_way_through_its_fan_out_sends_only_the_chunks_not_sent(
    cities, small_chunks, queued
):
    run = queued()
    numbers = evaluation_run_start(run_id=run.pk)
    evaluation_chunk_queued(run_id=run.pk, number=numbers[0])  # then the worker died

    assert evaluation_run_start(run_id=run.pk) == [2, 3]
    run.refresh_from_db()
    assert run.start_deliveries == 2


def test_chunks_run_in_any_order_and_twice_give_the_uninterrupted_run(cities, small_chunks, queued):
    run = queued()
    evaluation_run_start(run_id=run.pk)
    for number in [3, 1, 1, 2, 3]:
        evaluation_chunk_execute(run_id=run.pk, number=number)
    run.refresh_from_db()
    reference = uninterrupted(queued)
    assert run.status == EvaluationRun.Status.SUCCEEDED
    assert (run.input_digest, run.result_digest) == (
        reference.input_digest,
        reference.result_digest,
    )
    assert sorted(result_digests(run).values()) == sorted(result_digests(reference).values())
    assert RunChunk.objects.get(run=run, number=1).deliveries == 1, "a stored chunk is not redone"


# Deliveries ----------------------------------------------------------------------------------


def test_a_chunk_that_always_fails_is_sent_again_then_fails_the_run_with_its_reason(
    cities, small_chunks, queued, monkeypatch
):
    run = queued()
    evaluation_run_start(run_id=run.pk)
    monkeypatch.setattr(testhook, "SPEC", "raise:chunk-scoring:2")
    for _ in range(3):  # what the worker does with each delivery of chunk 2
        with pytest.raises(testhook.TestHookError) as raised:
            evaluation_chunk_execute(run_id=run.pk, number=2)
        evaluation_chunk_failed(
            run_id=run.pk, number=2, error=f"TestHookError: {raised.value}", final=True
        )

    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.FAILED
    assert run.error == (
        "chunk 2 of 3 (cities 110002, 110003) was taken by a worker 3 times without being "
        "stored, the most EVALUATION_MAX_DELIVERIES (3) allows; last error: TestHookError: "
        "test hook: chunk-scoring 2"
    )
    assert chunk_sends() == [(run.pk, 2), (run.pk, 2)], "sent again twice, then no more"
    # A delivery still in the queue changes nothing now.
    evaluation_chunk_execute(run_id=run.pk, number=2)
    assert RunChunk.objects.get(run=run, number=2).deliveries == 3


def test_a_chunk_that_kills_its_worker_every_time_fails_the_run_at_the_next_delivery(
    cities, small_chunks, queued, monkeypatch
):
    run = queued()
    evaluation_run_start(run_id=run.pk)
    evaluation_chunk_execute(run_id=run.pk, number=1)
    monkeypatch.setattr(testhook, "SPEC", "raise:chunk-scoring:3")
    for _ in range(3):
        # The worker dies where the hook raises: nothing reports the error.
        with pytest.raises(testhook.TestHookError):
            evaluation_chunk_execute(run_id=run.pk, number=3)

    evaluation_chunk_execute(run_id=run.pk, number=3)  # the fourth delivery

    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.FAILED
    assert "chunk 3 of 3 (cities 110004) was taken by a worker 3 times" in run.error
    assert run.error.endswith(
        "last error: delivery 3 did not come back: its worker stopped (killed, out of memory, "
        "or lost) or its message was lost"
    )
    assert CityResult.objects.filter(run=run).count() == 2, "chunk 1's cities stay scored"


def test_a_retried_error_is_the_reason_given_if_the_chunk_then_never_comes_back(
    cities, small_chunks, queued, monkeypatch
):
    run = queued()
    evaluation_run_start(run_id=run.pk)
    monkeypatch.setattr(testhook, "SPEC", "raise:chunk-scoring:1")
    for n in range(3):
        with pytest.raises(testhook.TestHookError):
            evaluation_chunk_execute(run_id=run.pk, number=1)
        if n == 2:
            evaluation_chunk_failed(
                run_id=run.pk, number=1, error="OperationalError: gone", final=False
            )
    evaluation_chunk_execute(run_id=run.pk, number=1)
    run.refresh_from_db()
    assert run.error.endswith("last error: OperationalError: gone")


def test_a_start_that_raises_fails_a_queued_run_and_leaves_a_planned_one_to_the_sweep(
    cities, small_chunks, queued
):
    before_plan = queued()
    evaluation_start_failed(run_id=before_plan.pk, error="KeyError: 'bug'")
    before_plan.refresh_from_db()
    assert before_plan.status == EvaluationRun.Status.FAILED
    assert before_plan.error == "the run's start failed: KeyError: 'bug'"

    planned = queued()
    evaluation_run_start(run_id=planned.pk)
    evaluation_start_failed(run_id=planned.pk, error="OperationalError: broker gone")
    planned.refresh_from_db()
    assert planned.status == EvaluationRun.Status.RUNNING


# The sweep -----------------------------------------------------------------------------------


def later(seconds: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)


def test_the_sweep_leaves_a_run_alone_until_it_has_had_no_progress_for_the_stall_time(
    cities, small_chunks, queued
):
    run = queued()
    evaluation_run_start(run_id=run.pk)
    assert evaluation_runs_sweep(now=later(50)) == []
    assert chunk_sends() == []


def test_the_sweep_sends_again_the_chunks_of_a_stalled_run_and_the_run_completes(
    cities, small_chunks, queued
):
    run = queued()
    evaluation_run_start(run_id=run.pk)
    evaluation_chunk_execute(run_id=run.pk, number=2)
    # Chunk 1's message was lost with its worker after being taken; chunk 3 was never sent.
    testhook_spec = "raise:chunk-scoring:1"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(testhook, "SPEC", testhook_spec)
        with pytest.raises(testhook.TestHookError):
            evaluation_chunk_execute(run_id=run.pk, number=1)

    assert evaluation_runs_sweep(now=later(61)) == [run.pk]
    assert chunk_sends() == [(run.pk, 1), (run.pk, 3)]
    assert evaluation_runs_sweep(now=later(62)) == [], "the sweep waits again after acting"
    latest = run.history.latest()
    assert (
        latest.history_change_reason == "sweep: chunks 1, 3 sent again after 60 s without progress"
    )

    for number in (1, 3):
        evaluation_chunk_execute(run_id=run.pk, number=number)
    run.refresh_from_db()
    reference = uninterrupted(queued)
    assert run.status == EvaluationRun.Status.SUCCEEDED
    assert run.result_digest == reference.result_digest
    assert RunChunk.objects.get(run=run, number=1).deliveries == 2


def test_the_sweep_fails_a_stalled_run_whose_chunk_had_its_deliveries(
    cities, small_chunks, queued, monkeypatch
):
    run = queued()
    evaluation_run_start(run_id=run.pk)
    monkeypatch.setattr(testhook, "SPEC", "raise:chunk-scoring:1")
    for _ in range(3):
        with pytest.raises(testhook.TestHookError):
            evaluation_chunk_execute(run_id=run.pk, number=1)

    assert evaluation_runs_sweep(now=later(61)) == [run.pk]
    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.FAILED
    assert run.error.startswith(
        "chunk 1 of 3 (cities 110000, 110001) was taken by a worker 3 times"
    )
    assert "delivery 3 did not come back" in run.error
    assert run.finished_at is not None


def test_the_sweep_sends_again_the_start_of_a_queued_run_and_fails_one_that_never_starts(
    cities, small_chunks, queued
):
    never_taken = queued()
    assert evaluation_runs_sweep(now=later(61)) == [never_taken.pk]
    assert sent("evaluation.tasks.run_evaluation")[-1] == {"run_id": never_taken.pk}
    never_taken.refresh_from_db()
    assert never_taken.status == EvaluationRun.Status.QUEUED

    # A start that stopped its worker three times (each delivery counted, then nothing).
    EvaluationRun.objects.filter(pk=never_taken.pk).update(start_deliveries=3)
    assert evaluation_runs_sweep(now=later(200)) == [never_taken.pk]
    never_taken.refresh_from_db()
    assert never_taken.status == EvaluationRun.Status.FAILED
    assert never_taken.error.startswith(
        "the run's start was taken by a worker 3 times without finishing"
    )


def test_the_sweep_finishes_a_run_whose_chunks_are_all_stored(cities, small_chunks, queued):
    run = queued()
    numbers = evaluation_run_start(run_id=run.pk)
    for number in numbers:
        evaluation_chunk_execute(run_id=run.pk, number=number)
    # As if the last chunk's worker died between storing it and finishing the run.
    EvaluationRun.objects.filter(pk=run.pk).update(
        status=EvaluationRun.Status.RUNNING, input_digest="", result_digest="", finished_at=None
    )
    assert evaluation_runs_sweep(now=later(61)) == [run.pk]
    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.SUCCEEDED
    assert run.result_digest


def test_the_sweep_leaves_finished_runs_alone(cities, small_chunks, queued):
    run = uninterrupted(queued)
    assert evaluation_runs_sweep(now=later(10_000)) == []
    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.SUCCEEDED


# Restart -------------------------------------------------------------------------------------


def failed_run(queued, monkeypatch) -> EvaluationRun:
    run = queued()
    evaluation_run_start(run_id=run.pk)
    evaluation_chunk_execute(run_id=run.pk, number=1)
    with monkeypatch.context() as patch:
        patch.setattr(testhook, "SPEC", "raise:chunk-scoring:2")
        for _ in range(3):
            with pytest.raises(testhook.TestHookError):
                evaluation_chunk_execute(run_id=run.pk, number=2)
            evaluation_chunk_failed(run_id=run.pk, number=2, error="RuntimeError: x", final=True)
    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.FAILED
    return run


def test_a_reviewer_restarts_a_failed_run_on_its_plan_and_it_completes_identically(
    cities, small_chunks, queued, monkeypatch, reviewer
):
    run = failed_run(queued, monkeypatch)
    OutboxTask.objects.all().delete()

    restarted = evaluation_run_restart(run=run, by=reviewer)

    assert restarted.status == EvaluationRun.Status.RUNNING
    assert restarted.error == "" and restarted.finished_at is None
    assert chunk_sends() == [(run.pk, 2), (run.pk, 3)]
    assert list(run.chunks.values_list("number", "deliveries")) == [(1, 1), (2, 0), (3, 0)]
    history = list(run.history.order_by("-history_id")[:2])
    assert (history[0].history_user, history[0].history_change_reason) == (
        reviewer,
        "restarted by a reviewer",
    )
    assert history[1].status == "failed" and "chunk 2 of 3" in history[1].error

    for number in (2, 3):
        evaluation_chunk_execute(run_id=run.pk, number=number)
    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.SUCCEEDED
    assert run.result_digest == uninterrupted(queued).result_digest


def test_a_run_that_failed_before_its_plan_restarts_from_its_start(programme, queued, reviewer):
    run = queued()
    evaluation_run_start(run_id=run.pk)  # no cities: fails
    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.FAILED
    OutboxTask.objects.all().delete()

    restarted = evaluation_run_restart(run=run, by=reviewer)

    assert restarted.status == EvaluationRun.Status.QUEUED
    assert sent("evaluation.tasks.run_evaluation") == [{"run_id": run.pk}]


def test_only_a_failed_run_restarts_and_only_a_reviewer_restarts_it(
    cities, small_chunks, queued, monkeypatch, reviewer
):
    done = uninterrupted(queued)
    with pytest.raises(Locked, match=f"only a failed run can be restarted; run #{done.pk} is"):
        evaluation_run_restart(run=done, by=reviewer)
    failed = failed_run(queued, monkeypatch)
    with pytest.raises(Forbidden):
        evaluation_run_restart(run=failed, by=UserFactory(username="official"))
    failed.refresh_from_db()
    assert failed.status == EvaluationRun.Status.FAILED


def test_a_run_left_running_without_a_plan_fails_and_restarts_from_its_start(
    cities, small_chunks, queued, reviewer
):
    """A run that was running when this version was installed has no stored plan."""
    run = queued()
    EvaluationRun.objects.filter(pk=run.pk).update(status="running", cities_total=5)
    assert evaluation_runs_sweep(now=later(61)) == [run.pk]
    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.FAILED
    assert run.error == (
        "the run started before runs kept their plan and cannot be followed: restart it"
    )

    restarted = evaluation_run_restart(run=run, by=reviewer)
    assert restarted.status == EvaluationRun.Status.QUEUED
    assert evaluation_run_execute(run_id=run.pk).status == EvaluationRun.Status.SUCCEEDED


def test_a_start_delivered_too_often_fails_a_queued_run_but_not_a_planned_one(
    cities, small_chunks, queued
):
    never_started = queued()
    EvaluationRun.objects.filter(pk=never_started.pk).update(start_deliveries=3)
    assert evaluation_run_start(run_id=never_started.pk) == []
    never_started.refresh_from_db()
    assert never_started.status == EvaluationRun.Status.FAILED
    assert never_started.error.startswith(
        "the run's start was taken by a worker 3 times without finishing"
    )

    planned = queued()
    evaluation_run_start(run_id=planned.pk)
    EvaluationRun.objects.filter(pk=planned.pk).update(start_deliveries=3)
    assert evaluation_run_start(run_id=planned.pk) == []
    planned.refresh_from_db()
    assert planned.status == EvaluationRun.Status.RUNNING


def test_a_run_whose_finish_keeps_failing_is_failed_by_the_sweep_with_the_error(
    cities, small_chunks, queued, monkeypatch
):
    run = queued()
    numbers = evaluation_run_start(run_id=run.pk)

    def broken(*, run_id: int) -> EvaluationRun:
        raise ValueError("digest mismatch")

    monkeypatch.setattr("evaluation.services.runs.evaluation_run_finish", broken)
    for number in numbers:
        with pytest.raises(ValueError):
            evaluation_chunk_execute(run_id=run.pk, number=number)
    monkeypatch.setattr("evaluation.services.recovery.evaluation_run_finish", broken)

    assert evaluation_runs_sweep(now=later(61)) == [run.pk]
    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.FAILED
    assert run.error == "finishing the run failed: ValueError('digest mismatch')"
