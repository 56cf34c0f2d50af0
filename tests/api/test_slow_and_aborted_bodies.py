"""Clients that stall, trickle or abandon a request body, against the real uvicorn stack.

Raw sockets, because an HTTP client library will not stall halfway through a body. Every wait
on the server carries a generous hang guard (HANG_GUARD_SECONDS); none asserts a duration.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.live_service import service_environment
from tests.api.points import batch, point
from tests.support.identity import IssuedKey
from tests.support.server import running_server

BODY_TIMEOUT_SECONDS = 1
# Far past the body deadline: only a server that never answers reaches it.
HANG_GUARD_SECONDS = 15
# Below BODY_TIMEOUT_SECONDS: a deadline per read, rather than per body, would never fire.
TRICKLE_INTERVAL_SECONDS = 0.2


@dataclass
class Server:
    host: str
    port: int
    process: subprocess.Popen[bytes]

    def stop_and_read_log(self) -> list[dict[str, Any]]:
        """Stop the server (letting in-flight requests finish) and parse its JSON log."""
        self.process.terminate()
        self.process.wait(timeout=HANG_GUARD_SECONDS)
        output = self.process.stdout.read().decode() if self.process.stdout else ""
        return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@pytest.fixture
def server(migrated_database_url: str, redis_url: str) -> Iterator[Server]:
    environment = service_environment(
        migrated_database_url,
        redis_url,
        LOG_LEVEL="INFO",
        REQUEST_BODY_TIMEOUT=str(BODY_TIMEOUT_SECONDS),
    )
    with running_server(environment) as served:
        host, port = served.url.removeprefix("http://").split(":")
        yield Server(host, int(port), served.process)


def _connect(server: Server) -> socket.socket:
    return socket.create_connection((server.host, server.port), timeout=HANG_GUARD_SECONDS)


def _ingest_head(key: IssuedKey, content_length: int, request_id: str) -> bytes:
    return (
        "POST /v1/metrics HTTP/1.1\r\n"
        "Host: test\r\n"
        f"Authorization: Bearer {key.text}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {content_length}\r\n"
        f"X-Request-ID: {request_id}\r\n"
        "\r\n"
    ).encode()


def _read_until_closed(
    sock: socket.socket, already: bytes = b"", *, reset_ends_it: bool = False
) -> Answer:
    """The whole answer, read until the server closes the connection (the hang guard fails a
    server that keeps it open). With `reset_ends_it`, a reset counts as that close: a client that
    was still sending when the server hung up gets a reset from the server's kernel for the bytes
    that arrived after the close."""
    received = bytearray(already)
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            if not reset_ends_it:
                raise
            break
        if not chunk:
            break
        received += chunk
    head, _, body = bytes(received).partition(b"\r\n\r\n")
    answer = _parse(head)
    answer.body = body
    return answer


def _parse(head: bytes) -> Answer:
    status_line, *header_lines = head.decode("latin-1").strip().split("\r\n")
    headers: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(int(status_line.split()[1]), headers, b"")


def _read_response(sock: socket.socket) -> Answer:
    """One answer on a connection that stays open: its head, then Content-Length bytes."""
    received = bytearray()
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection before answering"
        received += chunk
    head_end = received.index(b"\r\n\r\n") + 4
    answer = _parse(bytes(received[:head_end]))
    length = int(answer.headers["content-length"])
    while len(received) - head_end < length:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection mid-answer"
        received += chunk
    answer.body = bytes(received[head_end : head_end + length])
    return answer


def _access_log(lines: list[dict[str, Any]], request_id: str) -> list[tuple[str, int]]:
    """(event, status) of each access-log line of one request."""
    return [
        (line["event"], line["status"])
        for line in lines
        if line.get("request_id") == request_id and line.get("logger") == "cloudmetrics.access"
    ]


def _assert_request_timeout(answer: Answer) -> None:
    assert answer.status == 408, answer
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.headers["connection"] == "close"
    problem = answer.json()
    assert problem["type"] == "https://cloudmetrics.dev/problems/request-timeout"
    assert problem["status"] == 408
    assert problem["timeoutSeconds"] == BODY_TIMEOUT_SECONDS


def test_a_body_that_stalls_is_answered_408_problem_and_the_connection_closed(
    server: Server, api_key: IssuedKey
) -> None:
    with _connect(server) as sock:
        sock.sendall(_ingest_head(api_key, 1000, "stalled-body") + b'{"points": [')
        # Nothing more is sent: the server must answer and hang up on its own.
        answer = _read_until_closed(sock)

    _assert_request_timeout(answer)
    assert _access_log(server.stop_and_read_log(), "stalled-body") == [("request", 408)]


def test_a_body_trickled_a_byte_at_a_time_is_cut_at_the_same_deadline(
    server: Server, api_key: IssuedKey
) -> None:
    guard = time.monotonic() + HANG_GUARD_SECONDS
    with _connect(server) as sock:
        sock.sendall(_ingest_head(api_key, 100_000, "trickled-body"))
        sock.settimeout(TRICKLE_INTERVAL_SECONDS)
        first = b""
        while not first:
            assert time.monotonic() < guard, "the trickled request was never answered"
            try:
                sock.sendall(b" ")
                first = sock.recv(65536)
            except TimeoutError:
                continue
            except ConnectionError as error:
                pytest.fail(f"the connection was reset before any answer arrived: {error!r}")
        sock.settimeout(HANG_GUARD_SECONDS)
        answer = _read_until_closed(sock, first, reset_ends_it=True)

    _assert_request_timeout(answer)


def test_a_client_that_disconnects_mid_body_is_logged_as_an_abort_not_a_server_error(
    server: Server, api_key: IssuedKey
) -> None:
    with _connect(server) as sock:
        sock.sendall(_ingest_head(api_key, 1000, "abandoned-body") + b'{"points": [')
        # Let the handler start waiting for the rest of the body, then hang up. (Hanging up
        # sooner only means the handler meets the disconnect on its first read instead.)
        time.sleep(0.3)

    lines = server.stop_and_read_log()

    assert _access_log(lines, "abandoned-body") == [("client_aborted", 499)]
    aborted = next(line for line in lines if line.get("request_id") == "abandoned-body")
    assert aborted["level"] == "info"
    assert not [line for line in lines if line.get("status") == 500]
    assert not [line for line in lines if line["level"] in ("error", "critical")]


def test_a_complete_body_is_still_written(server: Server, api_key: IssuedKey) -> None:
    body = json.dumps(batch(point("complete.body"))).encode()
    with _connect(server) as sock:
        # Sent in two parts with a pause shorter than the deadline: a slow but finished body.
        sock.sendall(_ingest_head(api_key, len(body), "complete-body") + body[:10])
        time.sleep(0.2)
        sock.sendall(body[10:])
        answer = _read_response(sock)

    assert answer.status == 201, answer
    assert answer.json()["accepted"] == 1
    assert "connection" not in answer.headers  # kept alive for the next request
    assert _access_log(server.stop_and_read_log(), "complete-body") == [("request", 201)]


def test_an_answer_sent_before_the_body_is_read_closes_the_connection(server: Server) -> None:
    # No key: authentication answers 401 without reading the body, which never finishes.
    head = (
        b"POST /v1/metrics HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n"
    )
    with _connect(server) as sock:
        sock.sendall(head + b'{"points": [')
        answer = _read_until_closed(sock)

    assert answer.status == 401
    assert answer.headers["connection"] == "close"


def test_a_malformed_request_line_gets_uvicorns_plain_text_400(server: Server) -> None:
    # Answered by uvicorn's HTTP parser before any of our code runs, so it cannot be a problem
    # document; docs/api.md says so, and this test notices if that ever changes.
    with _connect(server) as sock:
        sock.sendall(b"NOT A REQUEST\r\n\r\n")
        answer = _read_until_closed(sock)

    assert answer.status == 400
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.body == b"Invalid HTTP request received."
