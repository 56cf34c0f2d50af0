"""Redis, behind a small typed facade.

Redis holds only what can be rebuilt (cached reads, rate-limit counters), so the facade's
callers treat every Redis error as a cache miss. redis-py's `**kwargs` signatures are untyped;
keeping every call in this file keeps the type checker's exceptions in one place.
"""

from __future__ import annotations

from typing import TypeAlias, cast

from redis.asyncio import Redis, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisClusterException, RedisError

from cloudmetrics.settings import CacheSettings

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
            socket_timeout=settings.socket_timeout,
            socket_connect_timeout=settings.socket_timeout,
            retry=Retry(NoBackoff(), retries=0),
            decode_responses=False,
        )
    return Redis.from_url(  # pyright: ignore[reportUnknownMemberType]
        settings.url,
        socket_timeout=settings.socket_timeout,
        socket_connect_timeout=settings.socket_timeout,
        health_check_interval=15,
        retry=Retry(NoBackoff(), retries=0),
        decode_responses=False,
    )


async def ping(redis: RedisClient) -> bool:
    return bool(await redis.ping())  # pyright: ignore[reportUnknownMemberType]


# What a Redis call raises when Redis is down, slow or confused; callers with a fallback catch
# exactly these and carry on without the cache.
# RedisClusterException (no node reachable, slots not covered) derives from Exception itself.
REDIS_FAILURES: tuple[type[Exception], ...] = (
    RedisError,
    RedisClusterException,
    OSError,
    TimeoutError,
)


async def get_bytes(redis: RedisClient, key: str) -> bytes | None:
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
    done = await redis.set(  # pyright: ignore[reportUnknownMemberType]
        key, value, ex=ttl_seconds, nx=only_if_missing
    )
    return bool(done)
