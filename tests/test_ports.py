from tests.ports import _ephemeral_start, free_port


def test_a_free_port_is_below_the_ephemeral_range_and_can_be_bound():
    import socket

    ports = {free_port() for _ in range(20)}
    assert all(1024 <= port < _ephemeral_start() for port in ports)
    assert len(ports) > 1  # drawn, not the same one each time
    with socket.socket() as server:
        server.bind(("127.0.0.1", ports.pop()))
