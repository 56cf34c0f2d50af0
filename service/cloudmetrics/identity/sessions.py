# Litestar's session types include pydantic's BaseModel, which is not installed: pyright sees
# them as partly unknown. This file is the boundary with them.
# pyright: reportUnknownMemberType=false, reportUnknownParameterType=false
# pyright: reportUnknownVariableType=false
"""Server-side sessions (cookie holds only a random id; data in Redis) and CSRF protection.

`Sessions(settings).middleware` goes on every router whose routes use a signed-in user: the key
management API here, and the dashboard's pages. It is *not* on /v1, so a Redis outage never
touches key-authenticated calls. The session id is rotated at sign-in (`start_session`), which
defeats session fixation. CSRF: Litestar's double-submit cookie (`csrftoken`), checked on every
unsafe method; HTML forms send it as the `_csrf_token` field, scripts as the `X-CSRFToken` header;
once signed in, only the token the session began with (session_csrf.py).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

from litestar import Litestar, Request
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Empty, Message, ScopeSession
from litestar.utils.scope.state import ScopeState

from cloudmetrics.identity.session_csrf import SESSION_TOKEN, USER_ID, SessionBoundCsrf
from cloudmetrics.identity.session_store import STORE_NAME, session_store
from cloudmetrics.identity.shared_secret import process_secret, shared_session_secret
from cloudmetrics.resources import resources_of
from cloudmetrics.settings import Settings

SESSION_COOKIE = "cm_session"
CSRF_COOKIE = "csrftoken"
CSRF_HEADER = "x-csrftoken"
CSRF_FORM_FIELD = "_csrf_token"
_ROTATE = "cloudmetrics.rotate_session"
_NEW_ID = "cloudmetrics.new_session_id"


class _RotatingBackend(ServerSideSessionBackend):
    """Litestar's server-side backend, plus a new session id on request (at sign-in)."""

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        replaced = _state(connection).get(_NEW_ID)
        return replaced if isinstance(replaced, str) else super().get_session_id(connection)

    async def store_in_message(
        self,
        scope_session: ScopeSession,
        message: Message,
        connection: ASGIConnection[Any, Any, Any, Any],
    ) -> None:
        if not scope_session or scope_session is Empty:
            # Nothing to keep: an anonymous visitor costs no write to Redis and gets no cookie;
            # one that had a session (signed out, or a stale id) has it deleted and cleared.
            existing = connection.cookies.get(self.config.key)
            if not existing or existing == "null":
                return
            scope_session = Empty
        state = _state(connection)
        if state.pop(_ROTATE, False):
            old = connection.cookies.get(self.config.key)
            if old and old != "null":
                await self.delete(old, store=self.config.get_store_from_app(connection.app))
            state[_NEW_ID] = self.generate_session_id()
        await super().store_in_message(scope_session, message, connection)


@dataclass
class _RotatingConfig(ServerSideSessionConfig):
    _backend_class = _RotatingBackend  # pyright: ignore[reportAssignmentType, reportIncompatibleVariableOverride]


class _SharedCsrfConfig(CSRFConfig):
    """Litestar copies middleware arguments per route; copies of this config are itself, so the
    secret settled at start-up (lifespan) reaches every route's CSRF middleware."""

    def __copy__(self) -> _SharedCsrfConfig:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> _SharedCsrfConfig:
        return self


def _state(connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, object]:
    return cast("dict[str, object]", connection.scope.setdefault("state", {}))  # pyright: ignore[reportUnknownMemberType]


class Sessions:
    """The session and CSRF middleware for routers that use signed-in users, and the store."""

    def __init__(self, settings: Settings) -> None:
        identity = settings.identity
        self._configured_secret = identity.session_secret
        self._key_prefix = settings.cache.key_prefix
        # Without SESSION_SECRET the real secret is only known once Redis is open (lifespan);
        # until then nothing is served, so this placeholder never signs a token.
        secret = identity.session_secret or secrets.token_urlsafe(48)
        self.store = session_store(f"{settings.cache.key_prefix}sessions")
        self.config = _RotatingConfig(
            key=SESSION_COOKIE,
            store=STORE_NAME,
            max_age=identity.session_max_age_seconds,
            httponly=True,
            samesite="lax",
            secure=identity.secure_cookies,
        )
        self.csrf = _SharedCsrfConfig(
            secret=secret,
            cookie_name=CSRF_COOKIE,
            header_name=CSRF_HEADER,
            cookie_secure=identity.secure_cookies,
            cookie_samesite="lax",
        )

    @property
    def middleware(self) -> list[DefineMiddleware | SessionBoundCsrf]:
        return [
            self.config.middleware,
            DefineMiddleware(CSRFMiddleware, config=self.csrf),
            SessionBoundCsrf(CSRF_COOKIE),
        ]

    @asynccontextmanager
    async def lifespan(self, app: Litestar) -> AsyncGenerator[None]:
        redis = resources_of(app).redis
        self.store.bind(redis)
        if self._configured_secret is None:
            # Litestar's CSRF middleware reads the secret from this config on every request.
            shared = await shared_session_secret(redis, self._key_prefix)
            self.csrf.secret = shared or process_secret()
        yield


def start_session(request: Request[Any, Any, Any], user_id: int) -> None:
    """Sign ``user_id`` in: a fresh session under a new id (the old one is deleted), bound to
    the CSRF token this sign-in presented (session_csrf.py)."""
    request.clear_session()
    request.set_session({USER_ID: user_id, SESSION_TOKEN: request.cookies.get(CSRF_COOKIE)})
    _state(request)[_ROTATE] = True


def end_session(request: Request[Any, Any, Any]) -> None:
    request.clear_session()


def signed_in_user_id(request: Request[Any, Any, Any]) -> int | None:
    value = cast("dict[str, object]", request.session).get(USER_ID)
    return value if isinstance(value, int) else None


def client_address(request: Request[Any, Any, Any]) -> str:
    """The client's address as uvicorn saw it (X-Forwarded-For only from FORWARDED_ALLOW_IPS)."""
    return request.client.host if request.client else "unknown"


def csrf_token(request: Request[Any, Any, Any]) -> str | None:
    """The token a page must echo in its forms (`_csrf_token`) or scripts (`X-CSRFToken`)."""
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else None


__all__ = [
    "CSRF_COOKIE",
    "CSRF_FORM_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "Sessions",
    "client_address",
    "csrf_token",
    "end_session",
    "signed_in_user_id",
    "start_session",
]
