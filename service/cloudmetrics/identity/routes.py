"""Sign-in and sign-out with server-side sessions, and API key management for project owners.

`/auth/*` and `/api/projects/{project}/keys*` run behind the session and CSRF middleware
(sessions.py); /v1 does not. Handlers call the domain functions of users.py and api_keys.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, Router, delete, get, post
from litestar.enums import RequestEncodingType
from litestar.params import FromPath, JSONBody
from litestar.types import Middleware

from cloudmetrics.database import Connection
from cloudmetrics.errors import Forbidden, InvalidRequest, NotFound, Unauthenticated
from cloudmetrics.http.problem_schema import problem_responses
from cloudmetrics.identity import api_keys
from cloudmetrics.identity.models import (
    CreatedKeyView,
    KeyView,
    NewKey,
    ProjectRole,
    SessionView,
    SignIn,
)
from cloudmetrics.identity.sessions import (
    client_address,
    csrf_token,
    end_session,
    signed_in_user_id,
    start_session,
)
from cloudmetrics.identity.sign_in import sign_in_user
from cloudmetrics.identity.users import Membership, membership, user_by_id
from cloudmetrics.identity.users import user_projects as memberships_of
from cloudmetrics.resources import AppResources

_sign_in_decoder = msgspec.json.Decoder(SignIn)


@get(
    "/session",
    include_in_schema=False,
    summary="Who is signed in, and the CSRF token to echo",
    tags=["identity"],
)
async def session_view(request: Request[Any, Any, Any], resources: AppResources) -> SessionView:
    user_id = signed_in_user_id(request)
    if user_id is None:
        return SessionView(signed_in=False, csrf_token=csrf_token(request))
    async with resources.connection() as connection:
        user = await user_by_id(connection, user_id)
        projects = await memberships_of(connection, user_id) if user else []
    if user is None:
        end_session(request)
        return SessionView(signed_in=False, csrf_token=csrf_token(request))
    return SessionView(
        signed_in=True,
        csrf_token=csrf_token(request),
        email=user.email,
        projects=[ProjectRole(name=m.project_name, role=m.role) for m in projects],
    )


@post(
    "/sign-in",
    include_in_schema=False,
    status_code=200,
    summary="Sign in with email and password (JSON or form)",
    tags=["identity"],
    responses=problem_responses(
        HTTPStatus.BAD_REQUEST,
        HTTPStatus.UNAUTHORIZED,
        HTTPStatus.FORBIDDEN,
        HTTPStatus.TOO_MANY_REQUESTS,
        HTTPStatus.SERVICE_UNAVAILABLE,
    ),
)
async def sign_in(request: Request[Any, Any, Any], resources: AppResources) -> SessionView:
    credentials = await _sign_in_body(request)
    user = await sign_in_user(
        resources,
        email=credentials.email,
        password=credentials.password,
        address=client_address(request),
    )
    async with resources.connection() as connection:
        projects = await memberships_of(connection, user.id)
    start_session(request, user.id)
    return SessionView(
        signed_in=True,
        csrf_token=csrf_token(request),
        email=user.email,
        projects=[ProjectRole(name=m.project_name, role=m.role) for m in projects],
    )


@post(
    "/sign-out",
    include_in_schema=False,
    status_code=204,
    summary="End the session",
    tags=["identity"],
)
async def sign_out(request: Request[Any, Any, Any]) -> None:
    end_session(request)


@get(
    "/{project:str}/keys",
    include_in_schema=False,
    summary="A project's API keys (owners)",
    tags=["identity"],
)
async def list_project_keys(
    request: Request[Any, Any, Any], resources: AppResources, project: FromPath[str]
) -> list[KeyView]:
    async with resources.connection() as connection:
        owned = await _owned_project(connection, request, project)
        keys = await api_keys.list_keys(connection, owned.project_id)
    return [_key_view(key) for key in keys]


@post(
    "/{project:str}/keys",
    include_in_schema=False,
    summary="Create an API key (owners)",
    tags=["identity"],
)
async def create_project_key(
    request: Request[Any, Any, Any],
    resources: AppResources,
    project: FromPath[str],
    data: JSONBody[NewKey],
) -> CreatedKeyView:
    expires_at = (
        datetime.now(UTC) + timedelta(days=data.expires_in_days) if data.expires_in_days else None
    )
    async with resources.connection() as connection:
        owned = await _owned_project(connection, request, project)
        created = await api_keys.create_key(
            connection, owned.project_id, data.scopes, name=data.name, expires_at=expires_at
        )
    return CreatedKeyView(key=created.text, details=_key_view(created.key))


@delete(
    "/{project:str}/keys/{key_id:str}",
    include_in_schema=False,
    status_code=200,
    summary="Revoke an API key (owners)",
    tags=["identity"],
)
async def revoke_project_key(
    request: Request[Any, Any, Any],
    resources: AppResources,
    project: FromPath[str],
    key_id: FromPath[str],
) -> KeyView:
    async with resources.connection() as connection:
        owned = await _owned_project(connection, request, project)
        revoked = await api_keys.revoke_key(connection, key_id, project_id=owned.project_id)
    return _key_view(revoked)


def identity_routers(middleware: Sequence[Middleware]) -> list[Router]:
    """``middleware`` is Sessions.middleware: sessions first, then CSRF."""
    return [
        Router(
            path="/auth", route_handlers=[session_view, sign_in, sign_out], middleware=middleware
        ),
        Router(
            path="/api/projects",
            route_handlers=[list_project_keys, create_project_key, revoke_project_key],
            middleware=list(middleware),
        ),
    ]


async def _owned_project(
    connection: Connection, request: Request[Any, Any, Any], project: str
) -> Membership:
    """The signed-in user's membership of ``project``, which must be an owner's."""
    user_id = signed_in_user_id(request)
    if user_id is None:
        raise Unauthenticated("sign in first")
    found = await membership(connection, user_id, project)
    if found is None:
        # Not a member: the project's existence is not confirmed either.
        raise NotFound(f"no project is named {project!r}")
    if found.role != "owner":
        raise Forbidden("only the project's owners manage its API keys")
    return found


async def _sign_in_body(request: Request[Any, Any, Any]) -> SignIn:
    content_type, _ = request.content_type
    try:
        if content_type in (RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART):
            form = await request.form()
            return SignIn(email=str(form.get("email", "")), password=str(form.get("password", "")))
        return _sign_in_decoder.decode(await request.body())
    except msgspec.DecodeError as error:
        raise InvalidRequest(f"sign-in needs an email and a password: {error}") from None


def _key_view(key: api_keys.ApiKey) -> KeyView:
    return KeyView(
        id=key.id,
        name=key.name,
        scopes=list(key.scopes),
        created_at=key.created_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
        last_used_at=key.last_used_at,
    )
