"""Redis, behind a small typed facade.

Redis holds only what can be rebuilt (cached reads, rate-limit counters), so the facade's
callers treat every Redis error as a cache miss. redis-py's `**kwargs` signatures are untyped;
keeping every call in this file keeps the type checker's exceptions in one place.
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from cloudmetrics.settings import CacheSettings


def open_redis(settings: CacheSettings) -> Redis:
    # Short socket timeouts: a slow Redis may cost a request half a second at most before the
    # caller falls back to PostgreSQL.
    return Redis.from_url(  # pyright: ignore[reportUnknownMemberType]
        settings.url,
        socket_timeout=settings.socket_timeout,
        socket_connect_timeout=settings.socket_timeout,
        health_check_interval=15,
        # One attempt per command: the caller has a fallback, and retries would multiply the
        # time a dead Redis costs every request.
        retry=Retry(NoBackoff(), retries=0),
        decode_responses=False,
    )


async def ping(redis: Redis) -> bool:
    return await redis.ping()  # pyright: ignore[reportUnknownMemberType]
