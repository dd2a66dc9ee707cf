"""Every run ends (issue 12), with real ``celery worker`` and ``celery beat`` processes on Redis
and PostgreSQL. A test hook (``evaluation/testhook.py``) stops the worker at a named moment, so
each kill window is hit every time; the worker is then SIGKILLed with its pool children and a
fresh worker is started. The stall time, sweep interval and visibility timeout are a few
seconds here (set ``TEST_STALL_SECONDS``, ``TEST_SWEEP_SECONDS``, ``TEST_VISIBILITY_TIMEOUT``
to measure other values: the recovery time is printed, see the README)."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.utils import translation
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from evaluation.models import CityResult, EvaluationRun, Participation, Programme, RunChunk
from evaluation.services.runs import (
    chunk_delivery_lost,
    chunk_over_limit,
    evaluation_run_execute,
    evaluation_run_request,
)
from evaluation.tasks import run_evaluation
from tests.factories import ParticipationFactory, add_value
from tests.integration.conftest import (
    PrivateRedis,
    Worker,
    in_process_broker,
    kill_group,
    start_beat,
    start_worker,
    stop_process,
    stop_worker,
    stopped_in_group,
)
from tests.integration.test_failures import finished, not_sent, programme_of_many_cities, wait_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CITIES = 30
CHUNK = 5
MAX_DELIVERIES = 3
STALL = int(os.environ.get("TEST_STALL_SECONDS", "3"))
SWEEP = int(os.environ.get("TEST_SWEEP_SECONDS", "1"))
VISIBILITY = int(os.environ.get("TEST_VISIBILITY_TIMEOUT", "3"))


@dataclass
class Services:
    broker: PrivateRedis
    database_url: str
    queue: str
    tmp_path: object

    def worker(self, name: str, *, pool: str = "solo", hook: str = "") -> Worker:
        return start_worker(
            broker_url=self.broker.url,
            database_url=self.database_url,
            queue=self.queue,
            log=self.tmp_path / f"worker-{name}.log",  # type: ignore[operator]
            pool=pool,
            env={"EVALUATION_TEST_HOOK": hook} if hook else None,
        )


@pytest.fixture
def services(
    queue, private_redis, shared_database_url, tmp_path, monkeypatch
) -> Iterator[Services]:
    """A broker of the test's own (a short visibility timeout redelivers nobody else's
    tasks), the sweep every ``SWEEP`` seconds from a real beat, and the settings every worker
    started here reads."""
    monkeypatch.setenv("EVALUATION_CHUNK_SIZE", str(CHUNK))
    monkeypatch.setenv("EVALUATION_STALL_SECONDS", str(STALL))
    monkeypatch.setenv("EVALUATION_MAX_DELIVERIES", str(MAX_DELIVERIES))
    monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", str(VISIBILITY))
    every, _ = IntervalSchedule.objects.get_or_create(every=SWEEP, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name="evaluation run sweep", task="evaluation.tasks.sweep_evaluation_runs", interval=every
    )
    with in_process_broker(private_redis.url):
        beat = start_beat(
            broker_url=private_redis.url,
            database_url=shared_database_url,
            queue=queue,
            workdir=tmp_path,
        )
        try:
            yield Services(private_redis, shared_database_url, queue, tmp_path)
        finally:
            stop_process(beat.process)


def in_the_workers_language(text: Callable[..., str], *args: object) -> str:
    """What a worker writes, in its language (the project's default: no request sets one)."""
    with translation.override(settings.LANGUAGE_CODE):
        return text(*args)


def wait_stopped(worker: Worker, *, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not stopped_in_group(worker):
        if worker.process.poll() is not None or time.monotonic() > deadline:
            kill_group(worker)
            pytest.fail(f"the worker never reached its test hook:\n{worker.output()}")
        time.sleep(0.05)


def chunk_messages(broker: PrivateRedis, queue: str) -> dict[str, list[int]]:
    """The chunk numbers in the queue and among the unacknowledged, as Redis holds them."""
    client = broker.client()

    def number(body: dict) -> int:  # type: ignore[type-arg]
        import base64

        args, kwargs, _ = json.loads(base64.b64decode(body["body"]))
        return int(kwargs.get("number", args[1] if len(args) > 1 else -1))

    def chunks(raw: list[dict]) -> list[int]:  # type: ignore[type-arg]
        return sorted(
            number(m) for m in raw if m["headers"]["task"] == "evaluation.tasks.evaluate_chunk"
        )

    queued = [json.loads(m) for m in client.lrange(queue, 0, -1)]
    unacked = [json.loads(v)[0] for v in client.hgetall("unacked").values()]
    return {"queued": chunks(queued), "unacked": chunks(unacked)}


def assert_identical_to_an_uninterrupted_run(run: EvaluationRun, participations, monkeypatch):
    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.SUCCEEDED, run.error
    assert run.cities_total == len(participations)
    scored = Counter(CityResult.objects.filter(run=run).values_list("participation", flat=True))
    assert scored == Counter(p.pk for p in participations), "a city scored twice or never"
    with monkeypatch.context() as patch:
        not_sent(patch)
        again = evaluation_run_request(programme=run.programme, trigger="command", by=None)
    again = evaluation_run_execute(run_id=again.pk)
    assert (again.input_digest, again.result_digest) == (run.input_digest, run.result_digest)

    def digests(of: EvaluationRun) -> dict[int, str]:
        return dict(CityResult.objects.filter(run=of).values_list("participation", "result_digest"))

    assert digests(again) == digests(run)


@pytest.mark.parametrize(
    ("hook", "scored_at_kill", "lost"),
    [
        # While chunk 3 is being scored (chunks 1 and 2 stored).
        ("stop:chunk-scoring:3", 10, None),
        # Chunk 3 stored; the worker has taken chunk 4 off the queue and not yet recorded it
        # as unacknowledged: Redis has lost that message (celery/celery#7950).
        ("stop:message-taken:4", 15, 4),
        # During the run's start: 2 of its 6 chunks sent.
        ("stop:start-queued:2", 0, None),
    ],
    ids=["while-a-chunk-runs", "after-a-chunk-commits", "during-the-start"],
)
def test_a_worker_killed_at_each_window_leaves_a_run_another_worker_completes_identically(
    services, hook, scored_at_kill, lost, monkeypatch
):
    programme = Programme.objects.get(code="2020")
    participations = programme_of_many_cities(programme, CITIES)
    worker_a = services.worker("a", pool="prefork", hook=hook)
    worker_b = None
    try:
        run = evaluation_run_request(programme=programme, trigger="command", by=None)
        wait_stopped(worker_a)
        assert CityResult.objects.filter(run=run).count() == scored_at_kill
        held = chunk_messages(services.broker, services.queue)
        if lost is not None:
            assert lost not in held["queued"] + held["unacked"], "the message is still held"
        if hook.startswith("stop:start-queued"):
            assert RunChunk.objects.filter(run=run, queued_at__isnull=False).count() == 2
        kill_group(worker_a)
        killed_at = time.monotonic()

        worker_b = services.worker("b")
        wait_until("worker B completes the run", lambda: finished(run.pk), seconds=60 + STALL * 3)
        took = time.monotonic() - killed_at
    finally:
        kill_group(worker_a)
        if worker_b is not None:
            stop_worker(worker_b)

    print(f"\n{hook}: completed {took:.1f} s after the kill (stall {STALL} s, sweep {SWEEP} s)")
    assert_identical_to_an_uninterrupted_run(run, participations, monkeypatch)


def run_to_its_end(services: Services, *, hook: str) -> tuple[EvaluationRun, str]:
    """A run of ``CITIES`` cities on one worker with ``hook``, once it has ended and a sweep or
    two later (time for a loop to show, were there one): the run and the worker's log."""
    programme = Programme.objects.get(code="2020")
    programme_of_many_cities(programme, CITIES)
    worker = services.worker("a", hook=hook)
    try:
        run = evaluation_run_request(programme=programme, trigger="command", by=None)
        wait_until("the run ends", lambda: finished(run.pk), seconds=60)
        time.sleep(STALL + 2 * SWEEP)
        return run, worker.output()
    finally:
        stop_worker(worker)


def test_a_chunk_that_always_fails_fails_the_run_after_its_deliveries_and_nothing_loops(
    services,
):
    run, output = run_to_its_end(services, hook="raise:chunk-scoring:2")
    raised = output.count("TestHookError: test hook: chunk-scoring 2")

    run.refresh_from_db()
    chunk = RunChunk.objects.get(run=run, number=2)
    assert run.status == EvaluationRun.Status.FAILED
    assert chunk.last_error == "TestHookError: test hook: chunk-scoring 2"
    assert run.error == in_the_workers_language(chunk_over_limit, chunk, 6, MAX_DELIVERIES)
    with translation.override("en"):
        assert chunk_over_limit(chunk, 6, MAX_DELIVERIES) == (
            f"chunk 2 of 6 (cities {', '.join(chunk.city_codes)}) was taken by a worker 3 times "
            "without being stored, the most EVALUATION_MAX_DELIVERIES (3) allows; last error: "
            "TestHookError: test hook: chunk-scoring 2"
        )
    assert chunk.deliveries == MAX_DELIVERIES
    assert raised >= MAX_DELIVERIES  # Celery logs each failure, with its traceback


def test_a_chunk_that_always_kills_its_worker_fails_the_run_after_its_deliveries(services):
    programme = Programme.objects.get(code="2020")
    programme_of_many_cities(programme, CITIES)
    # Every pool child that scores chunk 2 dies at once, as if out of memory; Celery puts the
    # chunk back at once (reject_on_worker_lost) and forks a new child.
    worker = services.worker("a", pool="prefork", hook="exit:chunk-scoring:2")
    try:
        run = evaluation_run_request(programme=programme, trigger="command", by=None)
        wait_until("the run ends", lambda: finished(run.pk), seconds=90)
        lost_then = worker.output().count("WorkerLostError")
        time.sleep(STALL + 2 * SWEEP)
        lost_later = worker.output().count("WorkerLostError")
    finally:
        stop_worker(worker)

    run.refresh_from_db()
    chunk = RunChunk.objects.get(run=run, number=2)
    assert run.status == EvaluationRun.Status.FAILED
    assert (chunk.deliveries, chunk.last_error_delivery) == (MAX_DELIVERIES, MAX_DELIVERIES)

    def lost(deliveries: int) -> str:
        probe = RunChunk(deliveries=deliveries)
        chunk_delivery_lost(probe)
        return probe.last_error

    assert chunk.last_error == in_the_workers_language(lost, MAX_DELIVERIES)
    assert run.error == in_the_workers_language(chunk_over_limit, chunk, 6, MAX_DELIVERIES)
    with translation.override("en"):
        assert lost(3) == (
            "delivery 3 did not come back: its worker stopped (killed, out of memory, or lost) "
            "or its message was lost"
        )
    assert lost_then >= MAX_DELIVERIES
    assert lost_later == lost_then, "the chunk is still being delivered after the run failed"


def test_a_start_delivered_twice_with_a_city_added_between_completes_on_the_first_plan(
    services, monkeypatch
):
    programme = Programme.objects.get(code="2020")
    participations = programme_of_many_cities(programme, CITIES)
    run = evaluation_run_request(programme=programme, trigger="command", by=None)
    run_evaluation.delay(run.pk)  # the same start, delivered a second time
    # Stopped once the first delivery has sent its last chunk, before the second is read.
    worker = services.worker("a", hook=f"stop:start-queued:{CITIES // CHUNK}")
    try:
        wait_stopped(worker)
        late: Participation = ParticipationFactory(programme=programme)
        add_value(late.city, "sme_transformations", "2020", "7")
        os.kill(worker.process.pid, signal.SIGCONT)
        wait_until("the run ends", lambda: finished(run.pk), seconds=60)
    finally:
        stop_worker(worker)

    assert worker.output().count("evaluation.tasks.run_evaluation[") >= 2
    # The second delivery found the plan stored and every chunk sent: it sent none.
    assert re.search(
        r"run_evaluation\[[0-9a-f-]+\] succeeded in [0-9.]+s: 0$", worker.output(), re.M
    )
    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.SUCCEEDED, run.error
    assert not CityResult.objects.filter(run=run, participation=late).exists()
    late.delete()
    assert_identical_to_an_uninterrupted_run(run, participations, monkeypatch)


def test_a_worker_killed_while_its_start_scores_a_plan_of_one_chunk_leaves_a_run_another_completes(
    services, monkeypatch
):
    """A run sized for one worker is one chunk, scored by the start's worker without going
    through the broker: killed there, the start comes back (or the sweep), sends the chunk, and
    its delivery says the first, in the start, did not come back."""
    monkeypatch.setenv("EVALUATION_CHUNK_SIZE", str(CITIES))
    programme = Programme.objects.get(code="2020")
    participations = programme_of_many_cities(programme, CITIES)
    worker_a = services.worker("a", pool="prefork", hook="stop:chunk-scoring:1")
    worker_b = None
    try:
        run = evaluation_run_request(programme=programme, trigger="command", by=None)
        wait_stopped(worker_a)
        assert CityResult.objects.filter(run=run).count() == 0
        # Scored in the start: no chunk task was ever sent.
        assert chunk_messages(services.broker, services.queue) == {"queued": [], "unacked": []}
        assert RunChunk.objects.get(run=run).queued_at is None
        kill_group(worker_a)

        worker_b = services.worker("b")
        wait_until("worker B completes the run", lambda: finished(run.pk), seconds=60 + STALL * 3)
    finally:
        kill_group(worker_a)
        if worker_b is not None:
            stop_worker(worker_b)

    chunk = RunChunk.objects.get(run=run)
    probe = RunChunk(deliveries=1)
    chunk_delivery_lost(probe)
    assert chunk.deliveries == 2
    assert (chunk.last_error, chunk.last_error_delivery) == (probe.last_error, 1)
    assert_identical_to_an_uninterrupted_run(run, participations, monkeypatch)


def test_a_plan_of_one_chunk_that_always_fails_fails_the_run_after_its_deliveries(
    services, monkeypatch
):
    """Its first delivery, in the start, raises: counted like any other, with its error; the
    chunk is then sent until it has had its deliveries."""
    monkeypatch.setenv("EVALUATION_CHUNK_SIZE", str(CITIES))
    run, output = run_to_its_end(services, hook="raise:chunk-scoring:1")

    run.refresh_from_db()
    chunk = RunChunk.objects.get(run=run)
    assert run.status == EvaluationRun.Status.FAILED
    assert (chunk.deliveries, chunk.last_error_delivery) == (MAX_DELIVERIES, MAX_DELIVERIES)
    assert chunk.last_error == "TestHookError: test hook: chunk-scoring 1"
    assert run.error == in_the_workers_language(chunk_over_limit, chunk, 1, MAX_DELIVERIES)
    # The first delivery was the start's own, logged with its traceback; the others were
    # chunk tasks, sent after it.
    assert output.count(f"run {run.pk}: chunk 1, scored in the run's start, failed") == 1
    assert output.count("evaluation.tasks.evaluate_chunk[") >= MAX_DELIVERIES - 1
    assert output.count("TestHookError: test hook: chunk-scoring 1") >= MAX_DELIVERIES
