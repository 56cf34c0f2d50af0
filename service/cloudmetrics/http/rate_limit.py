"""Rate limiting shared by every task of the service: Litestar's middleware, counted in Redis.

The limit is counted per API key (the principal the authentication middleware resolved before
this one runs), so clients behind one NAT do not share a budget and one key cannot multiply its
budget by changing address. A request without a principal is counted per client address.

Litestar's RateLimitMiddleware lets store errors escape, which would turn a Redis outage into a
503 for every request. Its store here fails open instead (redis_client.GuardedStore): with Redis
down each request is admitted, because the limit protects the service, and refusing all traffic
would be the outage it guards against.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request
from litestar.middleware.rate_limit import RateLimitConfig, get_remote_address
from litestar.stores.base import Store
from litestar.types import Middleware

from cloudmetrics.identity.middleware import principal_in
from cloudmetrics.redis_client import GuardedStore
from cloudmetrics.resources import resources_of
from cloudmetrics.settings import Settings

STORE_NAME = "rate_limit"


def client_identity(request: Request[Any, Any, Any]) -> str:
    principal = principal_in(request.scope)
    if principal is not None:
        return f"key:{principal.key_id}"
    return f"address:{get_remote_address(request)}"


class RateLimiting:
    """The middleware for the routes to limit, the store for the app, and the lifespan hook
    that connects the store to the app's Redis client."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limit.per_minute > 0
        # No refuse_with: fails open.
        self.store = GuardedStore(namespace=f"{settings.cache.key_prefix}rate-limit")
        self._config = RateLimitConfig(
            rate_limit=("minute", max(settings.rate_limit.per_minute, 1)),
            store=STORE_NAME,
            identifier_for_request=client_identity,
        )

    @property
    def middleware(self) -> list[Middleware]:
        return [self._config.middleware] if self.enabled else []

    @property
    def stores(self) -> dict[str, Store]:
        return {STORE_NAME: self.store}

    @asynccontextmanager
    async def lifespan(self, app: Litestar) -> AsyncGenerator[None]:
        self.store.bind(resources_of(app).redis)
        yield
