from tests import ports
from tests.ports import _ephemeral_start, free_port


def test_a_free_port_is_below_the_ephemeral_range_and_can_be_bound():
    import socket

    drawn = {free_port() for _ in range(20)}
    assert all(1024 <= port < _ephemeral_start() for port in drawn)
    assert len(drawn) > 1  # drawn, not the same one each time
    with socket.socket() as server:
        server.bind(("127.0.0.1", drawn.pop()))


def test_with_no_room_below_the_ephemeral_range_any_free_port_is_given(monkeypatch):
    monkeypatch.setattr(ports, "_ephemeral_start", lambda: 1024)
    assert 0 < free_port() < 65536
