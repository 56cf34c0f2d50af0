"""A deadline on the whole request body, as a plain ASGI middleware around the app.

uvicorn has no body-read timeout: a client that sends its headers and then stalls, or trickles
a byte a second, holds its request, and whatever the handler has borrowed, for as long as it
likes. Here the whole body must arrive within one deadline, counted from the app's first read
(so time the app spends authenticating first is not charged to the client). Each read waits at
most for what is left of that deadline, so a trickle is cut as surely as a stall. Past it the
read raises RequestBodyTimeout, which errors.py answers as a 408 problem.

A response sent while the body is still unfinished (that 408, or a 401 answered before reading)
closes the connection: uvicorn would otherwise keep it open and go on receiving, and discarding,
the rest of the body for as long as the client sends it.

Requests that announce no body are passed through untouched, and once the body is complete,
later reads (a streaming response listening for a disconnect) wait as long as they like.
"""

from __future__ import annotations

import asyncio

from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from cloudmetrics.errors import RequestBodyTimeout

_CLOSE = (b"connection", b"close")


def _announces_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"transfer-encoding":
            return True
        if name == b"content-length" and value.strip() not in (b"", b"0"):
            return True
    return False


def request_body_deadline_middleware(app: ASGIApp, *, timeout: float) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _announces_body(scope):
            await app(scope, receive, send)
            return
        deadline: float | None = None
        body_complete = False

        async def receive_within_deadline() -> ReceiveMessage:
            nonlocal deadline, body_complete
            if body_complete:
                return await receive()
            if deadline is None:
                deadline = asyncio.get_running_loop().time() + timeout
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise RequestBodyTimeout(
                    f"the request body did not arrive within {timeout:g} seconds",
                    extra={"timeoutSeconds": timeout},
                ) from None
            # The last chunk, or a disconnect: either way no more body will come.
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_complete = True
            return message

        async def send_closing_if_unfinished(message: Message) -> None:
            if message["type"] == "http.response.start" and not body_complete:
                headers = [
                    (name, value)
                    for name, value in message.get("headers", ())
                    if name.lower() != b"connection"
                ]
                headers.append(_CLOSE)
                message["headers"] = headers
            await send(message)

        await app(scope, receive_within_deadline, send_closing_if_unfinished)

    return middleware


__all__ = ["request_body_deadline_middleware"]
