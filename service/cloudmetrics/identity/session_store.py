"""Where sessions live: Redis (ElastiCache in AWS), through Litestar's RedisStore.

Unlike the catalogue cache and the rate limit, sessions fail *closed*: without Redis nobody can
sign in or use a session, and the answer says so plainly (503). API keys do not depend on it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from litestar.stores.base import Store
from litestar.stores.redis import RedisStore
from redis.asyncio import Redis

from cloudmetrics.cache import REDIS_FAILURES, RedisClient, guarded
from cloudmetrics.errors import DependencyUnavailable
from cloudmetrics.resources import Resources

STORE_NAME = "sessions"
UNAVAILABLE = (
    "sign-in is unavailable: the session store (Redis) does not answer; "
    "API keys keep working, retry signing in shortly"
)


class SessionStoreUnavailable(DependencyUnavailable):
    problem = "session-store-unavailable"


class SessionStore(Store):
    """A RedisStore bound to the app's client at start-up, whose failures refuse the request."""

    def __init__(self, namespace: str) -> None:
        self._namespace = namespace
        self._inner: RedisStore | None = None
        self._client: RedisClient | None = None

    def bind(self, resources: Resources) -> None:
        self._client = resources.redis
        self._inner = RedisStore(cast("Redis", resources.redis), namespace=self._namespace)

    def _bound(self) -> tuple[RedisStore, RedisClient]:
        if self._inner is None or self._client is None:
            raise SessionStoreUnavailable(UNAVAILABLE)
        return self._inner, self._client

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        inner, client = self._bound()
        try:
            async with guarded(client):
                return await inner.get(key, renew_for)
        except REDIS_FAILURES:
            raise SessionStoreUnavailable(UNAVAILABLE) from None

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        inner, client = self._bound()
        try:
            async with guarded(client):
                await inner.set(key, value, expires_in)
        except REDIS_FAILURES:
            raise SessionStoreUnavailable(UNAVAILABLE) from None

    async def delete(self, key: str) -> None:
        inner, client = self._bound()
        try:
            async with guarded(client):
                await inner.delete(key)
        except REDIS_FAILURES:
            raise SessionStoreUnavailable(UNAVAILABLE) from None

    async def delete_all(self) -> None:
        inner, _ = self._bound()
        await inner.delete_all()

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        inner, client = self._bound()
        try:
            async with guarded(client):
                return await inner.expires_in(key)
        except REDIS_FAILURES:
            raise SessionStoreUnavailable(UNAVAILABLE) from None
