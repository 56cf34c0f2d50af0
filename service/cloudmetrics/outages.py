"""What the drivers raise when PostgreSQL or Redis cannot be reached or answers too slowly.

Kept apart from errors.py, which the migration runner imports: loading redis-py costs a
command most of a second, and the runner has no use for it.
"""

from __future__ import annotations

import asyncpg
import redis.exceptions

# Errors that mean "PostgreSQL or Redis is unreachable or too slow", wherever they escape from.
# Only the drivers' own errors and timeouts: a bare OSError escaping a handler is far more often
# our bug (a missing file, a closed descriptor) than an outage, and must stay a 500 that pages
# someone, not a 503 that tells clients to retry.
OUTAGES: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    # The server answers but refuses us (database dropped, role or password wrong): from the
    # client's side the service cannot reach its data, and the operator's fix needs no restart.
    asyncpg.InvalidCatalogNameError,
    asyncpg.InvalidAuthorizationSpecificationError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.RedisClusterException,
    # asyncpg's command_timeout and every asyncio.wait_for around a dependency call.
    TimeoutError,
)

# What opening a connection can raise on top of those: the socket layer's own errors (refused,
# unreachable, a name that does not resolve). Only code that is connecting at that moment
# (database.acquire, the start-up waits, the commands) treats them as an outage.
CONNECT_OUTAGES: tuple[type[Exception], ...] = (*OUTAGES, OSError)
