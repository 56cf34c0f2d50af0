"""CSRF tokens bound to the session: after sign-in, only the token the session began with.

Litestar's CSRF middleware is a double submit: the header (or form field) must carry the token
of the `csrftoken` cookie, and the token must be signed with SESSION_SECRET. Any visitor can mint
such a pair, so on its own it would let someone who plants their pair next to a victim's session
cookie (a sibling subdomain can set cookies) act as the victim. Here the session remembers the
cookie's token at sign-in (`start_session`), and every unsafe request of a signed-in session must
carry that very token; a different, even validly signed, pair is a 403. Anonymous requests (the
sign-in itself) keep the double submit alone: there is no session to bind to yet.
"""

from __future__ import annotations

import hmac
from typing import Any, cast

from litestar.middleware.base import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from cloudmetrics.errors import Forbidden

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_TOKEN = "csrf"  # noqa: S105 - the name of a session field, not a secret
USER_ID = "user_id"


class SessionBoundCsrf(ASGIMiddleware):
    """Runs after the session and CSRF middleware (sessions.py orders them)."""

    def __init__(self, cookie_name: str) -> None:
        self._cookie = cookie_name

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope["type"] == "http" and scope.get("method", "GET") not in SAFE_METHODS:
            # Litestar's session middleware has loaded the session into the scope.
            session = cast("dict[str, Any]", scope).get("session")
            if isinstance(session, dict) and USER_ID in session:
                bound = cast("dict[str, Any]", session).get(SESSION_TOKEN)
                presented = _cookie(scope, self._cookie)
                if (
                    not isinstance(bound, str)
                    or presented is None
                    or not hmac.compare_digest(bound, presented)
                ):
                    raise Forbidden("the CSRF token does not belong to this session")
        await next_app(scope, receive, send)


def _cookie(scope: Scope, name: str) -> str | None:
    for header, value in scope["headers"]:
        if header == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, text = part.strip().partition("=")
                if key == name:
                    return text
    return None
