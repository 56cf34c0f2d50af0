"""HEAD for every GET route, and an OPTIONS answer that lists every method of its path.

Litestar 2 serves HEAD only on routes declared for it, and its automatic OPTIONS handler lists
the methods of the first handler registered on a path only (litestar-org/litestar#4169: on
/v1/metrics it says "OPTIONS, POST" and forgets GET). Both are fixed here, at the ASGI level,
from the routes the app actually has, so no handler has to declare anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from litestar.routes import BaseRoute, HTTPRoute
from litestar.types import ASGIApp, Message, Receive, Scope, Send


def allowed_methods(routes: Iterable[BaseRoute]) -> dict[str, str]:
    """Each HTTP path template -> its Allow header value (HEAD wherever GET is served)."""
    allowed: dict[str, str] = {}
    for route in routes:
        if not isinstance(route, HTTPRoute):
            continue
        methods = {str(method) for method in route.methods} | {"OPTIONS"}
        if "GET" in methods:
            methods.add("HEAD")
        allowed[route.path_format] = ", ".join(sorted(methods))
    return allowed


def http_methods_middleware(app: ASGIApp, allowed: Mapping[str, str]) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("HEAD", "OPTIONS"):
            await app(scope, receive, send)
            return
        if scope["method"] == "HEAD":
            await _head_as_get(app, scope, receive, send)
            return

        async def send_full_allow(message: Message) -> None:
            # The router has written the matched route's template into the scope by now.
            template = scope.get("path_template")
            if message["type"] == "http.response.start" and template in allowed:
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"allow"]
                headers.append((b"allow", allowed[template].encode()))
                message["headers"] = headers
            await send(message)

        await app(scope, receive, send_full_allow)

    return middleware


async def _head_as_get(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer HEAD as GET would, headers included (Content-Length too), without the body
    (RFC 9110 section 9.3.2)."""

    async def send_without_body(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    # A copy: the caller's scope (and its access log line) keeps saying HEAD.
    await app({**scope, "method": "GET"}, receive, send_without_body)  # type: ignore[typeddict-item]


__all__ = ["allowed_methods", "http_methods_middleware"]
