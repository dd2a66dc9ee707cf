"""A TEST HOOK for the real-worker tests, off unless ``EVALUATION_TEST_HOOK`` is set in a
worker's environment (never set it in production).

``EVALUATION_TEST_HOOK="ACTION:POINT[:N]"`` makes the process act when it reaches ``POINT``
with number ``N`` (any number if left out), so a kill window is hit every time instead of by
luck. ACTION is ``stop`` (the process stops itself with SIGSTOP: the test then SIGKILLs it),
``exit`` (it ends at once, as an out-of-memory kill would) or ``raise`` (``TestHookError``).
POINTs, with what N counts:

- ``start-queued``: a run's start has sent its N-th chunk task;
- ``chunk-scoring``: chunk N of a run is being scored (its delivery recorded, nothing stored);
- ``message-taken``: the worker has taken its N-th chunk message off the Redis queue and not
  yet recorded it as unacknowledged (the window of celery/celery#7950, where the message is
  lost if the worker dies).
"""

from __future__ import annotations

import os
import signal

SPEC = os.environ.get("EVALUATION_TEST_HOOK", "")


class TestHookError(RuntimeError):
    """Raised by the ``raise`` action: an error no retry cures."""


def reached(point: str, number: int) -> None:
    if not SPEC:
        return
    action, _, rest = SPEC.partition(":")
    where, _, wanted = rest.partition(":")
    if where != point or (wanted and int(wanted) != number):
        return
    if action == "stop":
        os.kill(os.getpid(), signal.SIGSTOP)
    elif action == "exit":
        os._exit(70)
    elif action == "raise":
        raise TestHookError(f"test hook: {point} {number}")


def _watch_messages_taken() -> None:
    """Let ``message-taken`` fire inside kombu's Redis transport, between taking a message off
    the queue and recording it as unacknowledged."""
    from kombu.transport import redis

    record = redis.QoS.append
    taken = 0

    def append(self: redis.QoS, message: object, delivery_tag: str) -> None:
        nonlocal taken
        if getattr(message, "headers", {}).get("task") == "evaluation.tasks.evaluate_chunk":
            taken += 1
            reached("message-taken", taken)
        record(self, message, delivery_tag)

    redis.QoS.append = append  # type: ignore[method-assign]


if ":message-taken" in SPEC:
    _watch_messages_taken()
