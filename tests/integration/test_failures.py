"""Real ``celery worker`` and ``celery beat`` processes on Redis and PostgreSQL: a scheduled run
fires and completes; a worker killed mid-run leaves a run that another worker completes as if
nothing had happened; an official's submission survives Redis being down, and its follow-up
runs once Redis is back."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from rest_framework.test import APIClient

from evaluation.demo import demo_load
from evaluation.models import (
    CityResult,
    EvaluationRun,
    IndicatorResult,
    OfficialAssignment,
    OutboxTask,
    Participation,
    Programme,
    Report,
    ReviewNotice,
    TrancheDecision,
)
from evaluation.schedules import schedules_install
from evaluation.services.runs import evaluation_run_execute, evaluation_run_request
from tests.factories import ParticipationFactory, UserFactory, add_value, complete
from tests.integration.conftest import (
    PrivateRedis,
    Worker,
    in_process_broker,
    start_beat,
    start_worker,
    stop_process,
    stop_worker,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Seconds before Redis hands an unacknowledged task to another worker (production: an hour).
VISIBILITY_TIMEOUT = 3


def wait_until(what: str, condition: Callable[[], object], *, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {seconds} s")
        time.sleep(0.1)


def finished(run_id: int) -> bool:
    return EvaluationRun.objects.filter(
        pk=run_id, status__in=[EvaluationRun.Status.SUCCEEDED, EvaluationRun.Status.FAILED]
    ).exists()


def not_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the tasks requested in this process in the outbox instead of sending them."""
    monkeypatch.setattr("evaluation.services.outbox.outbox_dispatch", lambda **kwargs: 0)


def test_a_scheduled_run_fires_and_completes(
    worker, broker_url, shared_database_url, queue, tmp_path
):
    demo_load()
    schedules_install()
    # The installed mid-term schedule, due a few seconds from now rather than on its real date.
    midterm = PeriodicTask.objects.get(name="mid-term evaluation of programme 2020")
    assert midterm.one_off
    due = timezone.now() + dt.timedelta(seconds=5)
    midterm.clocked.clocked_time = due
    midterm.clocked.save()

    beat = start_beat(
        broker_url=broker_url, database_url=shared_database_url, queue=queue, workdir=tmp_path
    )
    try:
        scheduled = EvaluationRun.objects.filter(trigger=EvaluationRun.Trigger.SCHEDULE)
        wait_until(
            "a scheduled run finishes",
            lambda: scheduled.exists() and finished(scheduled.get().pk),
            seconds=60,
        )
    finally:
        stop_process(beat.process)

    run = scheduled.get()
    assert run.status == EvaluationRun.Status.SUCCEEDED, run.error
    assert (run.kind, run.as_of) == (EvaluationRun.Kind.OFFICIAL, dt.date(2021, 12, 31))
    assert run.created_at >= due, "the schedule fired before it was due"
    assert CityResult.objects.filter(run=run).count() == 11
    assert beat.output().count("Sending due task mid-term evaluation of programme 2020") == 1
    assert "evaluation.tasks.run_midterm_evaluation[" in worker.output()


def programme_of_many_cities(programme: Programme, count: int) -> list[Participation]:
    """``count`` cities, each with figures of its own, so that every chunk scores differently."""
    participations = ParticipationFactory.create_batch(count, programme=programme)
    for n, participation in enumerate(participations):
        city = participation.city
        add_value(city, "transfer_licence_count", "2019", "100")
        add_value(city, "transfer_licence_count", "2021", str(100 + 2 * n))
        add_value(city, "pledge_projects", "2019", "40")
        add_value(city, "pledge_projects", "2021", str(40 + n % 50))
        add_value(city, "sme_transformations", "2020", str(n))
    return participations


@dataclass(frozen=True)
class Killed:
    scored: int  # cities of the run scored when the worker died
    task: str  # the id of the chunk task it died holding
    delivered_at: float  # when Redis delivered that task to it (Unix time)


def kill_while_scoring(worker: Worker, run: EvaluationRun, broker: PrivateRedis) -> Killed:
    """SIGKILL ``worker`` part-way through ``run``, while it holds a chunk it has not
    acknowledged. The worker is frozen (SIGSTOP) to look at it, so the moment is certain."""
    client = broker.client()
    pid = worker.process.pid
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            pytest.fail(f"worker A stopped by itself:\n{worker.output()}")
        scored = CityResult.objects.filter(run=run).count()
        if 20 <= scored <= (run.cities_total or 0) - 30:
            os.kill(pid, signal.SIGSTOP)
            held = client.hgetall("unacked")
            tasks = [json.loads(value)[0]["headers"] for value in held.values()]
            if [task["task"] for task in tasks] == ["evaluation.tasks.evaluate_chunk"]:
                os.kill(pid, signal.SIGKILL)
                worker.process.wait()
                (tag,) = held
                return Killed(
                    scored=CityResult.objects.filter(run=run).count(),
                    task=tasks[0]["id"],
                    delivered_at=float(client.zscore("unacked_index", tag)),
                )
            os.kill(pid, signal.SIGCONT)
        else:
            run.refresh_from_db()
        time.sleep(0.02)
    pytest.fail(f"worker A never held a chunk part-way through the run:\n{worker.output()}")


def test_a_worker_killed_mid_run_leaves_a_run_another_worker_completes_identically(
    queue, private_redis, shared_database_url, tmp_path, monkeypatch
):
    programme = Programme.objects.get(code="2020")
    participations = programme_of_many_cities(programme, 120)
    # One city per task, and the task of a dead worker handed on after a few seconds.
    monkeypatch.setenv("EVALUATION_CHUNK_SIZE", "1")
    monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", str(VISIBILITY_TIMEOUT))
    services = {
        "broker_url": private_redis.url,
        "database_url": shared_database_url,
        "queue": queue,
    }

    with in_process_broker(private_redis.url):
        worker_a = start_worker(**services, log=tmp_path / "worker-a.log")
        worker_b = None
        try:
            # Sent to worker A once the request commits, through the outbox.
            run = evaluation_run_request(programme=programme, trigger="command", by=None)
            killed = kill_while_scoring(worker_a, run, private_redis)
            assert 0 < killed.scored < len(participations)
            # Redis hands the chunk on once it has been unacknowledged for the visibility
            # timeout; the new worker looks for such chunks as it starts.
            wait_until(
                "the killed worker's chunk is overdue",
                lambda: time.time() > killed.delivered_at + VISIBILITY_TIMEOUT + 0.5,
                seconds=VISIBILITY_TIMEOUT + 5,
            )
            worker_b = start_worker(**services, log=tmp_path / "worker-b.log")
            wait_until("worker B finishes the run", lambda: finished(run.pk), seconds=90)
        finally:
            stop_process(worker_a.process)
            if worker_b is not None:
                stop_worker(worker_b)

    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.SUCCEEDED, run.error
    assert run.cities_total == len(participations)
    scored = Counter(CityResult.objects.filter(run=run).values_list("participation", flat=True))
    assert scored == Counter(p.pk for p in participations), "a city scored twice or never"
    assert TrancheDecision.objects.filter(city_result__run=run).count() == len(participations)
    assert IndicatorResult.objects.filter(
        city_result__run=run
    ).count() == run.ruleset.rules.count() * len(participations)

    # Worker B took the chunk worker A died holding, and every chunk A had not reached.
    chunks_b = re.findall(
        r"evaluation\.tasks\.evaluate_chunk\[([0-9a-f-]+)\] succeeded", worker_b.output()
    )
    assert killed.task in chunks_b
    assert len(chunks_b) >= len(participations) - killed.scored

    # The same evaluation, uninterrupted, in this process and in chunks of 25, gives the same
    # run.
    with monkeypatch.context() as patch:
        not_sent(patch)
        again = evaluation_run_request(programme=programme, trigger="command", by=None)
    again = evaluation_run_execute(run_id=again.pk)
    assert (again.input_digest, again.result_digest) == (run.input_digest, run.result_digest)
    assert again.identical_to_id == run.pk

    def digests(of: EvaluationRun) -> dict[int, str]:
        return dict(CityResult.objects.filter(run=of).values_list("participation", "result_digest"))

    assert digests(again) == digests(run)


def dispatches(worker: Worker) -> int:
    return len(
        re.findall(r"evaluation\.tasks\.dispatch_outbox\[[0-9a-f-]+\] succeeded", worker.output())
    )


def test_with_redis_down_a_submission_is_saved_and_its_follow_up_runs_once_redis_is_back(
    queue, private_redis, shared_database_url, tmp_path
):
    participation = ParticipationFactory(city__code="440300", city__name_en="Shenzhen")
    official = UserFactory(username="official_a")
    OfficialAssignment.objects.create(user=official, participation=participation)
    reviewer = UserFactory(username="reviewer", email="reviewer@example.org")
    reviewer.groups.add(Group.objects.get(name="reviewers"))
    # The installed outbox dispatch runs every minute; every second here, to keep the test short.
    every_second, _ = IntervalSchedule.objects.get_or_create(
        every=1, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.create(
        name="outbox dispatch", task="evaluation.tasks.dispatch_outbox", interval=every_second
    )
    services = {
        "broker_url": private_redis.url,
        "database_url": shared_database_url,
        "queue": queue,
    }

    with in_process_broker(private_redis.url):
        worker = start_worker(**services, log=tmp_path / "worker.log")
        beat = None
        try:
            beat = start_beat(**services, workdir=tmp_path)
            private_redis.stop()

            api = APIClient()
            api.raise_request_exception = False  # a server error is a response, as users see it
            api.force_authenticate(official)
            created = api.post(
                "/api/v1/reports/",
                {"participation": participation.pk, "period": "2021-03"},
                format="json",
            )
            assert created.status_code == 201, created.content
            url = f"/api/v1/reports/{created.json()['id']}/"
            filled = api.put(
                url + "values/",
                {
                    "version": created.json()["version"],
                    "values": complete({"pledge_projects": "3"}),
                },
                format="json",
            )
            assert filled.status_code == 200, filled.content
            submitted = api.post(url + "submit/", {}, format="json")
            assert submitted.status_code == 200, submitted.content[:2000]
            assert submitted.json()["status"] == "submitted"

            report = Report.objects.get(pk=created.json()["id"])
            assert report.status == Report.Status.SUBMITTED
            follow_up = OutboxTask.objects.get(task="evaluation.tasks.notify_reviewers")
            assert follow_up.kwargs == {"report_id": report.pk, "version": report.version}
            # Sending it was tried, found the broker down, and left it for later.
            assert follow_up.dispatched_at is None
            assert f"{private_redis.port}. Connection refused" in follow_up.last_error
            assert not ReviewNotice.objects.exists()

            private_redis.start()
            wait_until(
                "the reviewers are told once Redis is back",
                lambda: ReviewNotice.objects.filter(report=report).exists(),
                seconds=60,
            )
            # A few more dispatches change nothing: the follow-up ran once.
            ran = dispatches(worker)
            wait_until(
                "the worker runs the dispatch twice more",
                lambda: dispatches(worker) >= ran + 2,
                seconds=10,
            )
        finally:
            if beat is not None:
                stop_process(beat.process)
            stop_worker(worker)

    follow_up.refresh_from_db()
    assert follow_up.dispatched_at is not None
    notice = ReviewNotice.objects.get()
    assert (notice.report_id, notice.version) == (report.pk, report.version)
    assert worker.output().count("To: reviewer@example.org") == 1
    assert "Connection to broker lost" in worker.output()
