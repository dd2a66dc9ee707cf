"""A free TCP port on 127.0.0.1 for a server a test starts (moto, runserver, redis-server).

The port is chosen at random below the system's range of ephemeral ports and checked free by
binding it. Asking the system for any free port (binding port 0) hands out a port from that
range, which is closed again before the server binds it: meanwhile any outgoing connection of
another test worker (to PostgreSQL, Redis, a browser) could be given the same port. Below the
range no outgoing connection takes it, and two workers would have to draw the same one of
thousands at the same moment."""

from __future__ import annotations

import random
import socket
from pathlib import Path

_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def _ephemeral_start() -> int:
    try:
        return int(_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    high = _ephemeral_start()
    low = max(1024, high - 12000)
    for _ in range(200 if high - low >= 1000 else 0):
        port = random.randrange(low, high)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    # No room below the ephemeral range (a system tuned to start it near 1024), or nothing
    # free there: any free port the system gives.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
