"""Routes declare the scope they need (`opt={"scope": "read"}`); one guard enforces it.

A route under the guard that declares no scope is refused to everyone: forgetting the
declaration fails closed.
"""

from __future__ import annotations

from typing import Any, cast

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from cloudmetrics.errors import Forbidden
from cloudmetrics.identity.middleware import principal_in
from cloudmetrics.identity.principal import SCOPES

SCOPE_OPT = "scope"


def require_declared_scope(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    if cast("dict[str, object]", connection.scope).get("method") == "OPTIONS":
        # Pre-flight and capability queries read nothing; the middleware let them through too.
        return
    needed = handler.opt.get(SCOPE_OPT)
    principal = principal_in(connection.scope)
    if needed not in SCOPES or principal is None:
        raise Forbidden("this endpoint is not open to API keys")
    if not principal.allows(needed):
        raise Forbidden(f"this API key lacks the {needed!r} scope", extra={"requiredScope": needed})
