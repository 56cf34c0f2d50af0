"""Where sessions live: Redis (ElastiCache in AWS), through Litestar's RedisStore.

Unlike the catalogue cache and the rate limit, sessions fail *closed*: without Redis nobody can
sign in or use a session, and the answer says so plainly (503). API keys do not depend on it.
"""

from __future__ import annotations

from cloudmetrics.errors import DependencyUnavailable
from cloudmetrics.redis_client import GuardedStore

STORE_NAME = "sessions"
UNAVAILABLE = (
    "sign-in is unavailable: the session store (Redis) does not answer; "
    "API keys keep working, retry signing in shortly"
)


class SessionStoreUnavailable(DependencyUnavailable):
    problem = "session-store-unavailable"


def session_store(namespace: str) -> GuardedStore:
    """The store of the sessions: a Redis failure refuses the request."""
    return GuardedStore(namespace, refuse_with=lambda: SessionStoreUnavailable(UNAVAILABLE))
