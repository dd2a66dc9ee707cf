"""Real services for the integration tests: Redis as broker, PostgreSQL shared with a real
``celery worker`` process.

Where they are missing, the tests are skipped with the reason on a developer's machine, and
fail when the ``CI`` environment variable is set: CI must never pass by skipping them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import kombu.pools
import pytest
import redis
from django.db import connection

from config.celery import app as celery_app
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI needs this service, and it is missing: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def broker_url() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        unavailable("set CELERY_BROKER_URL=redis://localhost:6379/0 to run the real-worker tests")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        unavailable(f"Redis at {url} does not answer: {exc}")
    return url


@pytest.fixture(scope="session")
def shared_database_url(django_db_setup, django_db_blocker) -> str:
    """The test database as a URL another process can open."""
    with django_db_blocker.unblock():
        settings = connection.settings_dict
        if connection.vendor != "postgresql":
            unavailable(
                "the real-worker tests need a database another process can reach: set "
                "DATABASE_URL=postgres://postgres@localhost:5432/ipcities"
            )
        user = settings["USER"] or "postgres"
        password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
        host = settings["HOST"] or "localhost"
        port = settings["PORT"] or 5432
        return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path
    queue: str

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def service_env(*, broker_url: str, database_url: str, queue: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        # The suite speaks English (tests/conftest.py); a process of its own must be told.
        DJANGO_LANGUAGE_CODE="en",
    )
    return env


@pytest.fixture
def queue(broker_url) -> Iterator[str]:
    """A queue of this test's own, and the Celery app switched from in-process to the broker."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    saved = (celery_app.conf.task_always_eager, celery_app.conf.task_default_queue)
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = name
    try:
        yield name
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = saved
        redis.Redis.from_url(broker_url).delete(name)


def start_worker(
    *,
    broker_url: str,
    database_url: str,
    queue: str,
    log: Path,
    pool: str = "solo",
    env: dict[str, str] | None = None,
) -> Worker:
    """A ``celery worker`` in a process group of its own (its pid is the group's id), so a
    test can SIGKILL it with its pool children. ``pool="prefork"`` runs one pool child;
    ``env`` adds to its environment (a test hook, say)."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            f"--pool={pool}",
            *(["--concurrency=1"] if pool == "prefork" else []),
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-Q",
            queue,
            "-n",
            f"{queue}-{uuid.uuid4().hex[:6]}@%h",
        ],
        cwd=ROOT,
        env={
            **service_env(broker_url=broker_url, database_url=database_url, queue=queue),
            **(env or {}),
        },
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker = Worker(process, log, queue)
    deadline = time.monotonic() + 60
    while "ready." not in worker.output():
        if process.poll() is not None:
            pytest.fail(f"the celery worker exited at start:\n{worker.output()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the celery worker did not start in 60 s:\n{worker.output()}")
        time.sleep(0.2)
    return worker


def stop_worker(worker: Worker) -> None:
    if worker.process.poll() is None:
        worker.process.terminate()
        try:
            worker.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()
    kill_group(worker)


def kill_group(worker: Worker) -> None:
    """SIGKILL the worker and every pool child left in its process group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.process.pid, signal.SIGKILL)
    if worker.process.poll() is None:
        worker.process.wait()


def stopped_in_group(worker: Worker) -> list[int]:
    """The processes of the worker's group that are stopped (a test hook's SIGSTOP)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # After the command name: state, ppid, pgrp.
        if fields[0] == "T" and int(fields[2]) == worker.process.pid:
            found.append(int(stat.parent.name))
    return found


@pytest.fixture
def worker(broker_url, shared_database_url, queue, tmp_path) -> Iterator[Worker]:
    running = start_worker(
        broker_url=broker_url,
        database_url=shared_database_url,
        queue=queue,
        log=tmp_path / "worker.log",
    )
    try:
        yield running
    finally:
        stop_worker(running)


def stop_process(process: subprocess.Popen[bytes], *, timeout: float = 20) -> None:
    """Stop a process this test started: politely, then for good."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


@dataclass
class PrivateRedis:
    """A redis-server of the test's own, which the test may stop and start again (the shared
    one on 6379 is never stopped: other people use it)."""

    port: int
    workdir: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=2)

    def start(self) -> None:
        """Start it (again, on the same port: empty, as nothing is saved) and wait for it."""
        assert self.process is None, "this redis-server is already running"
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=(self.workdir / "redis.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                self.client().ping()
                return
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    log = (self.workdir / "redis.log").read_text(errors="replace")
                    pytest.fail(f"redis-server on port {self.port} did not start:\n{log}")
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    """A broker this test alone uses: to stop it, or to lower its visibility timeout without
    redelivering other people's unacknowledged tasks on the shared Redis."""
    if not Path(REDIS_SERVER).exists():
        unavailable("redis-server is not installed: the broker-failure tests start their own")
    workdir = tmp_path / "redis"
    workdir.mkdir()
    server = PrivateRedis(port=free_port(), workdir=workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def in_process_broker(url: str) -> Iterator[None]:
    """Send this process's tasks to ``url``, then put the broker back. Celery prefers the
    CELERY_BROKER_URL environment variable to its setting, and keeps connection pools: all
    three are switched."""

    def fresh_pools() -> None:
        kombu.pools.reset()
        celery_app._pool = None
        amqp = celery_app.__dict__.get("amqp")
        if amqp is not None:
            amqp._producer_pool = None

    saved_env = os.environ.get("CELERY_BROKER_URL")
    saved_setting = celery_app.conf["broker_url"]
    os.environ["CELERY_BROKER_URL"] = url
    celery_app.conf["broker_url"] = url
    fresh_pools()
    try:
        wanted = urlsplit(url)
        with celery_app.producer_or_acquire() as producer:
            used = producer.connection
            assert (used.hostname, used.port) == (wanted.hostname, wanted.port)
        yield
    finally:
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env
        celery_app.conf["broker_url"] = saved_setting
        fresh_pools()


@dataclass
class Beat:
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_beat(*, broker_url: str, database_url: str, queue: str, workdir: Path) -> Beat:
    """A real ``celery beat`` on the project's DatabaseScheduler, reading the schedules from the
    test database; what it sends goes to ``queue``. It checks for due tasks every second."""
    log = workdir / "beat.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "beat",
            "--loglevel=INFO",
            "--max-interval=1",
            "-s",
            str(workdir / "beat-schedule"),
        ],
        cwd=ROOT,
        env=service_env(broker_url=broker_url, database_url=database_url, queue=queue),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    beat = Beat(process, log)
    deadline = time.monotonic() + 60
    while "beat: Starting..." not in beat.output():
        if process.poll() is not None:
            pytest.fail(f"celery beat exited at start:\n{beat.output()}")
        if time.monotonic() > deadline:
            stop_process(process)
            pytest.fail(f"celery beat did not start in 60 s:\n{beat.output()}")
        time.sleep(0.2)
    return beat
