"""Redis, behind a small typed facade: every Redis call of the service goes through here.

Redis holds cached reads, counters (rate limits, sign-in attempts) and the sessions. Each
caller decides what a Redis failure means for it: the catalogue and the rate limit carry on
without Redis, sign-in and sessions refuse (`GuardedStore`'s failure policy says which). Every
call runs under `guarded`, which stops a dead Redis from costing every request a timeout.
redis-py's `**kwargs` signatures are untyped; keeping every call in this file keeps the type
checker's exceptions in one place.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TypeAlias, TypeVar, cast

import structlog
from litestar.stores.base import Store
from litestar.stores.redis import RedisStore
from redis.asyncio import Redis, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisClusterException, RedisError

from cloudmetrics.settings import CacheSettings

log = structlog.get_logger(__name__)

# A single server locally; a cluster (through its configuration endpoint) in AWS. Both clients
# answer the single-key commands the service uses.
RedisClient: TypeAlias = Redis | RedisCluster


def open_redis(settings: CacheSettings) -> RedisClient:
    """A client that connects on first use, so start-up never waits for Redis."""
    # Short socket timeouts: a slow Redis may cost a request half a second at most before the
    # caller falls back to PostgreSQL. One attempt per command: the caller has a fallback, and
    # retries would multiply the time a dead Redis costs every request.
    if settings.cluster:
        return RedisCluster.from_url(
            settings.url,
            username=settings.username,
            password=settings.password,
            socket_timeout=settings.socket_timeout,
            socket_connect_timeout=settings.socket_timeout,
            retry=Retry(NoBackoff(), retries=0),
            decode_responses=False,
        )
    return Redis.from_url(  # pyright: ignore[reportUnknownMemberType]
        settings.url,
        username=settings.username,
        password=settings.password,
        socket_timeout=settings.socket_timeout,
        socket_connect_timeout=settings.socket_timeout,
        health_check_interval=15,
        retry=Retry(NoBackoff(), retries=0),
        decode_responses=False,
    )


async def ping(redis: RedisClient) -> bool:
    """Always asks Redis (readiness must see the present), and ends a back-off on success."""
    answered = bool(await redis.ping())  # pyright: ignore[reportUnknownMemberType]
    _back_off_until.pop(redis, None)
    return answered


# What a Redis call raises when Redis is down, slow or confused; callers with a fallback catch
# exactly these and carry on without the cache.
# RedisClusterException (no node reachable, slots not covered) derives from Exception itself.
REDIS_FAILURES: tuple[type[Exception], ...] = (
    RedisError,
    RedisClusterException,
    OSError,
    TimeoutError,
)


class RedisBackingOff(RedisError):
    """Redis failed moments ago; this call was not sent (see ``guarded``)."""


# After a failure, calls skip Redis for this long. A Redis that accepts connections but never
# answers (a failover, a security-group mistake) would otherwise cost every request one socket
# timeout per call; with the back-off it costs one request per period.
BACK_OFF_SECONDS = 5.0
_back_off_until: weakref.WeakKeyDictionary[RedisClient, float] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def guarded(redis: RedisClient) -> AsyncGenerator[None]:
    """Run Redis calls unless Redis failed within BACK_OFF_SECONDS; a failure starts the
    back-off. Either way the caller sees one of REDIS_FAILURES and treats it as a miss.

    The warning is logged here, once per back-off period: skipped calls are silent, and of the
    requests that were all waiting on Redis when it failed only the first one warns. Logging
    per call would write a line per request for the whole outage.
    """
    if time.monotonic() < _back_off_until.get(redis, 0.0):
        raise RedisBackingOff("Redis failed recently; skipping it for now")
    try:
        yield
    except REDIS_FAILURES as error:
        now = time.monotonic()
        if now >= _back_off_until.get(redis, 0.0):
            log.warning(
                "redis_unavailable",
                error_type=type(error).__name__,
                back_off_seconds=BACK_OFF_SECONDS,
            )
        _back_off_until[redis] = now + BACK_OFF_SECONDS
        raise


async def get_bytes(redis: RedisClient, key: str) -> bytes | None:
    async with guarded(redis):
        # decode_responses=False (open_redis), so values come back as bytes.
        value = await redis.get(key)  # pyright: ignore[reportUnknownMemberType]
    return cast("bytes | None", value)


async def set_bytes(
    redis: RedisClient,
    key: str,
    value: bytes,
    *,
    ttl_seconds: int | None = None,
    only_if_missing: bool = False,
) -> bool:
    """SET with an optional expiry; with ``only_if_missing`` it is SET NX. True if it was set."""
    async with guarded(redis):
        done = await redis.set(  # pyright: ignore[reportUnknownMemberType]
            key, value, ex=ttl_seconds, nx=only_if_missing
        )
    return bool(done)


async def increment(redis: RedisClient, key: str, *, window_seconds: int) -> int:
    """Add one to a counter that starts a ``window_seconds`` window at its first increment."""
    async with guarded(redis):
        count = int(await redis.incr(key))  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
        if count == 1:
            await redis.expire(key, window_seconds)  # pyright: ignore[reportUnknownMemberType]
    return count


async def add_to_counter(redis: RedisClient, key: str, amount: int, *, window_seconds: int) -> int:
    """Add ``amount`` (negative to give back) to a counter that lives ``window_seconds``."""
    async with guarded(redis):
        count = int(await redis.incrby(key, amount))  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
        await redis.expire(key, window_seconds, nx=True)  # pyright: ignore[reportUnknownMemberType]
    return count


# Atomic, so claims racing each other cannot all see room, or all see none.
_CLAIM_SLOT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local held = redis.call('ZCARD', KEYS[1])
if held < tonumber(ARGV[4]) then
    redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
    redis.call('EXPIRE', KEYS[1], ARGV[5])
    return {1, held}
end
return {0, held}
"""


async def claim_slot(
    redis: RedisClient, key: str, holder: str, *, now: float, lease_seconds: float, limit: int
) -> tuple[bool, int]:
    """Take one of ``limit`` slots of ``key`` (a sorted set of leases scored by expiry) for
    ``holder``, after dropping leases that ran out (a task that died holding one). Answers
    whether it was taken and how many others were held."""
    async with guarded(redis):
        taken, held = await redis.eval(  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType, reportGeneralTypeIssues]
            _CLAIM_SLOT, 1, key, now, now + lease_seconds, holder, limit, int(lease_seconds) + 1
        )
    return bool(taken), int(held)  # pyright: ignore[reportUnknownArgumentType]


async def release_slot(redis: RedisClient, key: str, holder: str) -> None:
    async with guarded(redis):
        await redis.zrem(key, holder)  # pyright: ignore[reportUnknownMemberType]


async def seconds_to_live(redis: RedisClient, key: str) -> int:
    """The key's remaining lifetime in whole seconds; 0 when it is missing or never expires."""
    async with guarded(redis):
        left = int(await redis.ttl(key))  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
    return max(left, 0)


async def delete_keys(redis: RedisClient, *keys: str) -> None:
    # One DEL per key: a cluster refuses a multi-key DEL whose keys live in different slots.
    async with guarded(redis):
        for key in keys:
            await redis.delete(key)  # pyright: ignore[reportUnknownMemberType]


T = TypeVar("T")


class GuardedStore(Store):
    """A Litestar store in Redis (its RedisStore) whose every call runs under ``guarded``.

    ``refuse_with`` is the failure policy. None fails open: a read that fails answers "nothing
    stored" and a write that fails is lost (the rate limit: it protects the service, and
    refusing all traffic would be the outage it guards against). An exception factory fails
    closed: the call raises what it makes (the sessions: nobody can be signed in without them).

    The Redis client only exists once the app's lifespan has opened it, so it is bound then;
    until then every call is a failure.
    """

    def __init__(
        self, namespace: str, *, refuse_with: Callable[[], Exception] | None = None
    ) -> None:
        self._namespace = namespace
        self._refuse_with = refuse_with
        self._inner: RedisStore | None = None
        self._client: RedisClient | None = None

    def bind(self, redis: RedisClient) -> None:
        # RedisStore is typed for the single-server client; its commands (GET/SET/DEL/TTL and a
        # one-key script) work unchanged on a cluster client.
        self._client = redis
        self._inner = RedisStore(cast("Redis", redis), namespace=self._namespace)

    async def _call(self, operation: Callable[[RedisStore], Awaitable[T]], fallback: T) -> T:
        try:
            if self._inner is None or self._client is None:
                raise RedisBackingOff("the store is not bound to a Redis client yet")
            async with guarded(self._client):
                return await operation(self._inner)
        except REDIS_FAILURES:
            if self._refuse_with is not None:
                raise self._refuse_with() from None
            return fallback  # guarded has logged the failure, once per back-off

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        return await self._call(lambda inner: inner.get(key, renew_for), None)

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        await self._call(lambda inner: inner.set(key, value, expires_in), None)

    async def delete(self, key: str) -> None:
        await self._call(lambda inner: inner.delete(key), None)

    async def delete_all(self) -> None:
        await self._call(lambda inner: inner.delete_all(), None)

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        return await self._call(lambda inner: inner.expires_in(key), None)
