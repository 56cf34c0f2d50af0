"""Request id and access log, as a plain ASGI middleware (cheap enough for probe traffic).

A client that disconnects before its answer starts (mid-body, typically) is logged as
`client_aborted` with status 499, nginx's "client closed request": whatever the app answers
then (Litestar turns the disconnect into a 500) goes nowhere, since uvicorn drops messages
sent to a closed connection, and must not be counted as a server error.
"""

from __future__ import annotations

import os
import re
import time
from contextvars import ContextVar

import structlog
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

REQUEST_ID_HEADER = b"x-request-id"
# Accept a caller's id (the ALB's or an upstream service's) only if it is short and plain,
# so it cannot smuggle anything into our logs.
_VALID_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")
# Probes hit these every few seconds; logging each one would drown real traffic.
QUIET_PATHS = frozenset({"/health", "/ready"})
# Not an HTTP status anyone receives: nginx's code for a request its client abandoned.
CLIENT_ABORTED_STATUS = 499

access_log = structlog.get_logger("cloudmetrics.access")

# The request being served; logs.add_request_id puts it on every log line. One ContextVar set
# and reset per request is cheaper than structlog's bind/unbind, which matters for probes.
current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def _incoming_request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER and _VALID_REQUEST_ID.match(value):
            return value.decode()
    # 128 random bits, hex like a uuid4 but without building a UUID object on every request.
    return os.urandom(16).hex()


def request_context_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope)
        token = current_request_id.set(request_id)
        status = 500
        responded = False
        aborted = False
        started = time.perf_counter()

        async def receive_noting_abort() -> ReceiveMessage:
            nonlocal aborted
            message = await receive()
            if message["type"] == "http.disconnect" and not responded:
                aborted = True
            return message

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status = message["status"]
                responded = True
                headers = list(message.get("headers", ()))
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await app(scope, receive_noting_abort, send_with_request_id)
        finally:
            path: str = scope["path"]
            duration_ms = round((time.perf_counter() - started) * 1000, 2)
            if aborted:
                access_log.info(
                    "client_aborted",
                    method=scope["method"],
                    path=path,
                    status=CLIENT_ABORTED_STATUS,
                    duration_ms=duration_ms,
                )
            elif path not in QUIET_PATHS or status >= 500:
                access_log.info(
                    "request",
                    method=scope["method"],
                    path=path,
                    status=status,
                    duration_ms=duration_ms,
                )
            current_request_id.reset(token)

    return middleware
