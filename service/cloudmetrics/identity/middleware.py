"""The authentication middleware of the /v1 routes, and the principal as a dependency."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.middleware.base import DefineMiddleware
from litestar.types import ASGIApp, Scope

from cloudmetrics.identity.key_authentication import KeyAuthenticator
from cloudmetrics.identity.principal import Principal
from cloudmetrics.resources import resources_of

# Where a request carries its key, as an `Authorization: Bearer <key>` value: the header itself
# for our API and Prometheus; protocols whose clients send it otherwise (Influx's `Token`
# scheme, user and password) provide their own reader.
CredentialReader = Callable[[ASGIConnection[Any, Any, Any, Any]], str | None]


def bearer_header(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    return connection.headers.get("authorization")


class ApiKeyAuthentication(AbstractAuthenticationMiddleware):
    def __init__(
        self,
        app: ASGIApp,
        authenticator: KeyAuthenticator,
        credential: CredentialReader = bearer_header,
    ) -> None:
        # OPTIONS (CORS pre-flight) is the only method that passes unauthenticated.
        super().__init__(app, exclude_http_methods=["OPTIONS"])
        self._authenticator = authenticator
        self._credential = credential

    async def authenticate_request(
        self,
        connection: ASGIConnection[Any, Any, Any, Any],
    ) -> AuthenticationResult:
        principal = await self._authenticator.authenticate(
            self._credential(connection), resources_of(connection.app)
        )
        return AuthenticationResult(user=principal, auth=principal)


def api_key_middleware(
    authenticator: KeyAuthenticator, credential: CredentialReader = bearer_header
) -> DefineMiddleware:
    return DefineMiddleware(
        ApiKeyAuthentication, authenticator=authenticator, credential=credential
    )


def principal_in(scope: Scope) -> Principal | None:
    """The principal the middleware resolved for this request, if it ran."""
    found = cast("dict[str, object]", scope).get("auth")
    return found if isinstance(found, Principal) else None


async def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    principal = principal_in(request.scope)
    if principal is None:
        # Only reachable if a route using the principal is mounted without the middleware.
        raise TypeError("no principal: the route is not behind API key authentication")
    return principal
