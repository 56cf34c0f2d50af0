"""The asyncpg pool: opened in the app's lifespan, borrowed with a bounded wait."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg
import structlog

from cloudmetrics.errors import DependencyUnavailable
from cloudmetrics.outages import CONNECT_OUTAGES
from cloudmetrics.settings import DatabaseSettings

log = structlog.get_logger(__name__)

# asyncpg's classes are generic only in its type stubs.
if TYPE_CHECKING:
    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record]
    Pool: TypeAlias = asyncpg.Pool[asyncpg.Record]
else:
    Connection = asyncpg.Connection
    Pool = asyncpg.Pool


async def open_pool(settings: DatabaseSettings) -> Pool:
    """Create the pool without connecting: the service must start while the database is down.

    min_size=0 makes asyncpg open connections on demand; a best-effort warm-up then saves the
    first request the connect time when the database is up.
    """
    pool: Pool = await asyncpg.create_pool(
        settings.url,
        min_size=0,
        max_size=settings.pool_max_size,
        timeout=settings.connect_timeout,
        command_timeout=settings.command_timeout,
        statement_cache_size=settings.statement_cache_size,
        server_settings={"application_name": "cloudmetrics"},
    )
    try:
        async with acquire(pool, settings.connect_timeout) as connection:
            await connection.execute("SELECT 1")
    except DependencyUnavailable:
        log.warning("database_unavailable_at_startup")
    return pool


@asynccontextmanager
async def acquire(pool: Pool, timeout: float) -> AsyncGenerator[Connection]:
    """Borrow a connection, waiting at most ``timeout`` seconds for one.

    An exhausted pool or an unreachable database becomes DependencyUnavailable (a 503), never an
    endless wait or a 500.
    """
    try:
        connection: Any = await pool.acquire(timeout=timeout)
    except CONNECT_OUTAGES as error:
        raise DependencyUnavailable(
            f"no database connection within {timeout:g}s ({type(error).__name__})"
        ) from error
    try:
        yield connection
    finally:
        await pool.release(connection)
