"""Free loopback ports for the servers tests and benchmarks start."""

from __future__ import annotations

import socket

_handed_out: set[int] = set()


def free_port() -> int:
    """A loopback port nobody listens on, and never one this process handed out before: the OS
    may offer a port again once its probe socket is closed, and two servers started one after
    the other would then race for it."""
    while True:
        port = _probe()
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def free_port_with_twin(offset: int) -> int:
    """A free port whose twin ``port + offset`` is free too (a Redis Cluster node listens on its
    port and on its cluster bus at port + 10000)."""
    while True:
        port = free_port()
        if port + offset <= 65535 and _is_free(port + offset):
            _handed_out.add(port + offset)
            return port


def _probe() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
