"""Security headers on every response, as a plain ASGI middleware around the whole app.

Wrapping the outermost handler (not Litestar's `middleware=`) gives 404s, 405s and the static
files the same headers as the pages.
"""

from __future__ import annotations

from litestar.types import ASGIApp, Message, Receive, Scope, Send

# Scripts, styles, images and fonts only from this origin; no inline script or style (the pages
# carry none: data for the chart travels in a non-executable JSON island); `data:` images
# for the icons Swagger UI embeds. Nothing may frame us, and forms post only here.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    # Our URLs carry metric names and filters: send other sites nothing but our origin.
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    # For browsers older than frame-ancestors.
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
# Only over HTTPS (behind CloudFront and the ALB, uvicorn sets the scheme from
# X-Forwarded-Proto): a local http://127.0.0.1 must not teach the browser to insist on TLS.
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


def security_headers_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        secure = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(item for item in _HEADERS if item[0] not in present)
                if secure:
                    headers.append(_HSTS)
                message["headers"] = headers
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware


__all__ = ["CONTENT_SECURITY_POLICY", "security_headers_middleware"]
