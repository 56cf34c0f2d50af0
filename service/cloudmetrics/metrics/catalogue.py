"""The metric catalogue's list pages, cached in Redis in front of PostgreSQL.

Every key names the project: one project's pages are never read for another. Invalidation uses a
generation token per project: every cached page's key contains the current token, and a batch
that creates a metric replaces its project's token *after* its transaction commits. A reader that
sees the new token reads the database after that commit, so it can never cache a page without
the new metric under the new token; pages under old tokens are simply never read again and
expire. Every Redis error is a cache miss: the catalogue is then read from PostgreSQL.

An invalidation that fails (Redis down at that moment) is remembered by this process and
retried before its next cached read, so the process that created a metric never serves a page
without it; other processes would, for at most CATALOGUE_CACHE_TTL.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid

import msgspec
import structlog

from cloudmetrics import redis_client
from cloudmetrics.metrics import queries
from cloudmetrics.metrics.models import MetricPage
from cloudmetrics.metrics.pagination import encode_cursor
from cloudmetrics.redis_client import RedisClient
from cloudmetrics.resources import Resources

log = structlog.get_logger(__name__)

_page_decoder = msgspec.json.Decoder(MetricPage)

# Generation keys whose replacement failed in this process, to be retried.
_pending_invalidations: set[str] = set()


def _generation_key(resources: Resources, project_id: int) -> str:
    return f"{resources.settings.cache.key_prefix}catalogue:{project_id}:generation"


async def list_page(
    resources: Resources, project_id: int, *, prefix: str, after: str, limit: int
) -> MetricPage:
    redis = resources.redis
    generation = await _current_generation(resources, project_id)
    key = None
    if generation is not None:
        key = _page_key(resources, project_id, generation, limit=limit, after=after, prefix=prefix)
        cached = await _get(redis, key)
        if cached is not None:
            try:
                return _page_decoder.decode(cached)
            except msgspec.DecodeError:
                log.warning("catalogue_cache_unreadable", key=key)
    page = await _read_page(resources, project_id, prefix=prefix, after=after, limit=limit)
    if key is not None:
        ttl = resources.settings.query.catalogue_ttl_seconds
        await _set(redis, key, msgspec.json.encode(page), ttl_seconds=ttl)
    return page


async def invalidate(resources: Resources, project_id: int) -> None:
    """Call after a transaction that created metrics in the project has committed."""
    key = _generation_key(resources, project_id)
    try:
        await redis_client.set_bytes(resources.redis, key, _new_token())
    except redis_client.REDIS_FAILURES:
        _pending_invalidations.add(key)
    else:
        _pending_invalidations.discard(key)


async def _current_generation(resources: Resources, project_id: int) -> str | None:
    """The project's current token, created if Redis has none (first use, restart, eviction);
    None when Redis cannot be used, which means: do not cache."""
    key = _generation_key(resources, project_id)
    try:
        if key in _pending_invalidations:
            await redis_client.set_bytes(resources.redis, key, _new_token())
            _pending_invalidations.discard(key)
        token = await redis_client.get_bytes(resources.redis, key)
        if token is None:
            # NX: if another task created one first, its token wins and we read that.
            await redis_client.set_bytes(resources.redis, key, _new_token(), only_if_missing=True)
            token = await redis_client.get_bytes(resources.redis, key)
    except redis_client.REDIS_FAILURES:
        return None
    return token.decode() if token is not None else None


async def _read_page(
    resources: Resources, project_id: int, *, prefix: str, after: str, limit: int
) -> MetricPage:
    async with resources.connection() as connection:
        # One extra row tells whether another page follows.
        rows = await queries.list_metrics(
            connection, project_id, prefix=prefix, after=after, limit=limit + 1
        )
    if len(rows) > limit:
        return MetricPage(metrics=rows[:limit], next_cursor=encode_cursor(rows[limit - 1].name))
    return MetricPage(metrics=rows)


def _page_key(
    resources: Resources,
    project_id: int,
    generation: str,
    *,
    limit: int,
    after: str,
    prefix: str,
) -> str:
    # Names, cursors and prefixes may contain ':', so joining them would let two different
    # queries share a key (and a client plant a wrong page). A digest of their JSON cannot.
    # The project is part of the key as well as of the generation: a page is only ever read back
    # for the project it was read from, even if two projects' tokens were ever to collide.
    query = hashlib.sha256(msgspec.json.encode([limit, after, prefix])).hexdigest()
    return f"{resources.settings.cache.key_prefix}catalogue:{project_id}:{generation}:{query}"


def _new_token() -> bytes:
    return uuid.uuid4().hex.encode()


async def _get(redis: RedisClient, key: str) -> bytes | None:
    try:
        return await redis_client.get_bytes(redis, key)
    except redis_client.REDIS_FAILURES:
        return None


async def _set(
    redis: RedisClient, key: str, value: bytes, *, ttl_seconds: int | None = None
) -> None:
    # Not cached this time: redis_client.guarded logs Redis failures, once per back-off.
    with contextlib.suppress(*redis_client.REDIS_FAILURES):
        await redis_client.set_bytes(redis, key, value, ttl_seconds=ttl_seconds)
