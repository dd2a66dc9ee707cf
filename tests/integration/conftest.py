"""Real services for the integration tests: Redis as broker, PostgreSQL shared with a real
``celery worker`` process.

Where they are missing, the tests are skipped with the reason on a developer's machine, and
fail when the ``CI`` environment variable is set: CI must never pass by skipping them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from django.db import connection

from config.celery import app as celery_app

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


def start_worker(*, broker_url: str, database_url: str, queue: str, log: Path) -> Worker:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
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
        env=service_env(broker_url=broker_url, database_url=database_url, queue=queue),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
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
    worker.process.terminate()
    try:
        worker.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.process.kill()
        worker.process.wait()


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
