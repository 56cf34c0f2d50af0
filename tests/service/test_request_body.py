"""The body deadline and the client-abort log line, called in process as plain ASGI apps.

tests/api/test_slow_and_aborted_bodies.py drives the same paths through uvicorn; these pin the
middleware's own rules with fake receive/send channels.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, cast

import pytest
from litestar import Litestar, Request, post
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from cloudmetrics.errors import RequestBodyTimeout
from cloudmetrics.http.problem_details import problem_details_plugin
from cloudmetrics.http.request_body import request_body_deadline_middleware
from cloudmetrics.http.request_context import request_context_middleware
from cloudmetrics.logs import configure_logging
from cloudmetrics.settings import LogSettings

TIMEOUT = 0.2
# Only a middleware that never gives up reaches it.
HANG_GUARD = 5.0

Chunk = dict[str, Any]


def _scope(*headers: tuple[bytes, bytes], method: str = "POST") -> Scope:
    return cast(
        Scope,
        {
            "type": "http",
            "method": method,
            "path": "/upload",
            "raw_path": b"/upload",
            "query_string": b"",
            "headers": list(headers),
            "http_version": "1.1",
            "scheme": "http",
            "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 50000),
            "root_path": "",
        },
    )


BODY_SCOPE = (b"content-length", b"100")


def _chunks(*chunks: Chunk, then: Callable[[], Awaitable[Chunk]] | None = None) -> Receive:
    """A receive channel that hands out ``chunks``, then waits on ``then`` (forever if None)."""
    pending = list(chunks)

    async def receive() -> Any:
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    return receive


def _part(body: bytes, *, more: bool) -> Chunk:
    return {"type": "http.request", "body": body, "more_body": more}


async def _discard(message: Message) -> None:
    pass


async def _read_body(receive: Receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if message["type"] != "http.request" or not message.get("more_body", False):
            return body


def _reading_app(result: dict[str, Any]) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        result["body"] = await _read_body(receive)

    return app


async def test_a_stalled_body_raises_request_body_timeout() -> None:
    app = request_body_deadline_middleware(_reading_app({}), timeout=TIMEOUT)

    with pytest.raises(RequestBodyTimeout) as raised:
        await asyncio.wait_for(
            app(_scope(BODY_SCOPE), _chunks(_part(b"{", more=True)), _discard), HANG_GUARD
        )

    assert raised.value.status_code == 408
    assert raised.value.extra == {"timeoutSeconds": TIMEOUT}


async def test_a_trickle_faster_than_the_timeout_is_still_cut() -> None:
    async def one_byte_later() -> Chunk:
        await asyncio.sleep(TIMEOUT / 5)
        return _part(b" ", more=True)

    app = request_body_deadline_middleware(_reading_app({}), timeout=TIMEOUT)

    with pytest.raises(RequestBodyTimeout):
        await asyncio.wait_for(
            app(_scope(BODY_SCOPE), _chunks(then=one_byte_later), _discard), HANG_GUARD
        )


async def test_the_deadline_starts_at_the_first_read() -> None:
    result: dict[str, Any] = {}

    async def authenticate_then_read(scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.sleep(TIMEOUT * 2)  # the app's own work before it reads
        result["body"] = await _read_body(receive)

    app = request_body_deadline_middleware(authenticate_then_read, timeout=TIMEOUT)
    await app(_scope(BODY_SCOPE), _chunks(_part(b"{}", more=False)), _discard)

    assert result["body"] == b"{}"


async def test_reads_after_the_body_is_complete_may_wait_past_the_deadline() -> None:
    async def disconnect_later() -> Chunk:
        await asyncio.sleep(TIMEOUT * 2)
        return {"type": "http.disconnect"}

    seen: list[str] = []

    async def streaming_app(scope: Scope, receive: Receive, send: Send) -> None:
        await _read_body(receive)
        # A streaming response listens for the client going away for as long as it streams.
        seen.append((await receive())["type"])

    app = request_body_deadline_middleware(streaming_app, timeout=TIMEOUT)
    channel = _chunks(_part(b"{}", more=False), then=disconnect_later)
    await asyncio.wait_for(app(_scope(BODY_SCOPE), channel, _discard), HANG_GUARD)

    assert seen == ["http.disconnect"]


@pytest.mark.parametrize(
    "headers", [(), ((b"content-length", b"0"),)], ids=["no-length", "zero-length"]
)
async def test_requests_without_a_body_pass_through_untouched(
    headers: tuple[tuple[bytes, bytes], ...],
) -> None:
    received: list[object] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        received.extend((receive, send))

    receive, send = _chunks(), _discard
    await request_body_deadline_middleware(app, timeout=TIMEOUT)(
        _scope(*headers, method="GET"), receive, send
    )

    assert received == [receive, send]


async def _response_headers(read_first: bool, *app_headers: tuple[bytes, bytes]) -> list[Any]:
    sent: list[dict[str, Any]] = []

    async def answering_app(scope: Scope, receive: Receive, send: Send) -> None:
        if read_first:
            await _read_body(receive)
        await send({"type": "http.response.start", "status": 401, "headers": list(app_headers)})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def record(message: Message) -> None:
        sent.append(dict(message))

    app = request_body_deadline_middleware(answering_app, timeout=TIMEOUT)
    await app(_scope(BODY_SCOPE), _chunks(_part(b"{}", more=False)), record)
    return list(sent[0]["headers"])


async def test_an_answer_before_the_body_is_read_closes_the_connection() -> None:
    headers = await _response_headers(False, (b"connection", b"keep-alive"))

    assert headers == [(b"connection", b"close")]


async def test_an_answer_after_the_whole_body_keeps_the_connection() -> None:
    assert await _response_headers(True) == []


async def test_the_timeout_becomes_a_408_problem_that_closes_the_connection() -> None:
    @post("/upload")
    async def upload(request: Request[Any, Any, Any]) -> None:
        await request.body()

    litestar = Litestar([upload], plugins=[problem_details_plugin()], logging_config=None)
    app = request_body_deadline_middleware(litestar, timeout=TIMEOUT)
    sent: list[dict[str, Any]] = []

    async def record(message: Message) -> None:
        sent.append(dict(message))

    await asyncio.wait_for(
        app(_scope(BODY_SCOPE), _chunks(_part(b"{", more=True)), record), HANG_GUARD
    )

    start, body = sent[0], sent[1]
    headers = dict(start["headers"])
    assert start["status"] == 408
    assert headers[b"content-type"].startswith(b"application/problem+json")
    assert headers[b"connection"] == b"close"
    problem = json.loads(body["body"])
    assert problem["type"] == "https://cloudmetrics.dev/problems/request-timeout"
    assert problem["title"] == "Request Timeout"


async def _access_log_of(app: ASGIApp, capsys: pytest.CaptureFixture[str]) -> list[Any]:
    """The access-log lines of one request whose client has already gone."""
    configure_logging(LogSettings(level="INFO"))  # into the stdout capsys watches
    capsys.readouterr()
    channel = _chunks({"type": "http.disconnect"})
    await request_context_middleware(app)(_scope(BODY_SCOPE), channel, _discard)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    return [line for line in lines if line.get("logger") == "cloudmetrics.access"]


async def test_a_disconnect_before_the_answer_is_logged_as_a_client_abort(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()  # the client is gone: Litestar would now answer 500 to nobody
        await send({"type": "http.response.start", "status": 500, "headers": []})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    access = await _access_log_of(app, capsys)

    assert [(line["event"], line["status"], line["level"]) for line in access] == [
        ("client_aborted", 499, "info")
    ]


async def test_a_disconnect_after_the_answer_is_an_ordinary_request(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        await receive()  # a streaming response's disconnect listener

    access = await _access_log_of(app, capsys)

    assert [(line["event"], line["status"]) for line in access] == [("request", 200)]
