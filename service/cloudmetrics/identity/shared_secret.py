"""The secret that signs CSRF tokens when SESSION_SECRET is not set: made once, kept in Redis.

Every worker of `cloudmetrics serve` (WEB_CONCURRENCY) and every process that shares the Redis
reads the same one, so a token made by one worker is good on another (each making up its own
failed most form sign-ins with two workers). The first process to start writes it with SET NX;
the others read the winner. Sessions live in the same Redis, so whoever can read this could
already forge sessions: it adds no exposure. A deployment does not rely on this: `serve` refuses
to start there without SESSION_SECRET (cli/serve.py), since the estate provides one.
"""

from __future__ import annotations

import secrets

import structlog

from cloudmetrics.redis_client import REDIS_FAILURES, RedisClient, get_bytes, set_bytes

log = structlog.get_logger(__name__)

SECRET_BYTES = 48


async def shared_session_secret(redis: RedisClient, key_prefix: str) -> str | None:
    """The secret every process sharing this Redis uses; None if Redis does not answer."""
    key = f"{key_prefix}session-secret"
    try:
        await set_bytes(
            redis, key, secrets.token_urlsafe(SECRET_BYTES).encode(), only_if_missing=True
        )
        stored = await get_bytes(redis, key)
    except REDIS_FAILURES:
        return None
    return stored.decode() if stored else None


def process_secret() -> str:
    """This process's own secret, for when Redis is away at start-up (sign-in fails closed then
    anyway); said in a warning, since tokens will not cross processes."""
    log.warning(
        "session_secret_per_process",
        advice="set SESSION_SECRET, or start Redis before the service: CSRF tokens made by one "
        "process fail on another",
    )
    return secrets.token_urlsafe(SECRET_BYTES)
