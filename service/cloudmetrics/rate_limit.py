"""Rate limiting shared by every task of the service: Litestar's middleware, counted in Redis.

The limit is counted per API key (the principal the authentication middleware resolved before
this one runs), so clients behind one NAT do not share a budget and one key cannot multiply its
budget by changing address. A request without a principal is counted per client address.

Litestar's RateLimitMiddleware lets store errors escape, which would turn a Redis outage into a
503 for every request. The store here swallows them instead: with Redis down each request is
admitted (fail open), because the limit protects the service, and refusing all traffic would be
the outage it guards against.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, cast

from litestar import Litestar, Request
from litestar.middleware.rate_limit import RateLimitConfig, get_remote_address
from litestar.stores.base import Store
from litestar.stores.redis import RedisStore
from litestar.types import Middleware
from redis.asyncio import Redis

from cloudmetrics.cache import REDIS_FAILURES, RedisClient, guarded
from cloudmetrics.identity.middleware import principal_in
from cloudmetrics.resources import Resources
from cloudmetrics.settings import Settings

STORE_NAME = "rate_limit"


class FailOpenStore(Store):
    """A RedisStore whose failures read as "no history" and whose writes may be lost.

    The Redis client only exists once the app's lifespan has opened it, so it is bound then;
    before that the store holds nothing and admits everything.
    """

    def __init__(self, namespace: str) -> None:
        self._namespace = namespace
        self._inner: RedisStore | None = None
        self._client: RedisClient | None = None

    def bind(self, resources: Resources) -> None:
        # RedisStore is typed for the single-server client; its commands (GET/SET/DEL/TTL and a
        # one-key script) work unchanged on a cluster client.
        self._client = resources.redis
        self._inner = RedisStore(cast("Redis", resources.redis), namespace=self._namespace)

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        if self._inner is None or self._client is None:
            return None
        try:
            async with guarded(self._client):
                return await self._inner.get(key, renew_for)
        except REDIS_FAILURES:
            return None

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        if self._inner is None or self._client is None:
            return
        try:
            async with guarded(self._client):
                await self._inner.set(key, value, expires_in)
        except REDIS_FAILURES:
            pass  # a miss: cache.guarded logs Redis failures, once per back-off

    async def delete(self, key: str) -> None:
        if self._inner is None or self._client is None:
            return
        try:
            async with guarded(self._client):
                await self._inner.delete(key)
        except REDIS_FAILURES:
            pass  # a miss: cache.guarded logs Redis failures, once per back-off

    async def delete_all(self) -> None:
        if self._inner is not None:
            await self._inner.delete_all()

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        if self._inner is None or self._client is None:
            return None
        try:
            async with guarded(self._client):
                return await self._inner.expires_in(key)
        except REDIS_FAILURES:
            return None


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
        self.store = FailOpenStore(namespace=f"{settings.cache.key_prefix}rate-limit")
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
        self.store.bind(app.state.resources)
        yield
