"""One runner at a time: a session advisory lock held on a dedicated connection for the whole run.

The connection is opened with asyncpg.connect, never borrowed from a pool: asyncpg's pool runs
`pg_advisory_unlock_all()` when a connection is released, which would drop the lock mid-run.
For the same reason the runner must reach PostgreSQL directly, not through a transaction-mode
pooler (which may hand each statement to a different server session).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import asyncpg

from cloudmetrics.errors import describe_error
from cloudmetrics.migrations.errors import MigrationError, MigrationLockTimeout

if TYPE_CHECKING:
    # Type only: importing cloudmetrics.database would load the web stack into every run.
    from cloudmetrics.database import Connection

# int.from_bytes(b"cmig"): a fixed key every runner of this schema agrees on. Below 2**31, so
# pg_locks shows it whole in `objid` (classid 0), which _describe_holder relies on.
MIGRATION_LOCK_KEY = 1_668_114_791
APPLICATION_NAME = "cloudmetrics-migrate"
CLIENT_CHECK_INTERVAL = "2s"
# How often a runner waiting for the lock tries again (seconds).
LOCK_POLL_INTERVAL = 0.1
# What an unreachable or vanished server raises (TimeoutError and ConnectionError are OSErrors).
# Spelled out rather than taken from cloudmetrics.outages, which loads redis-py: a migration run
# should start in a fraction of a second.
CONNECTION_FAILURES = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


@asynccontextmanager
async def dedicated_connection(
    url: str, *, connect_timeout: float, read_only: bool = False
) -> AsyncGenerator[Connection]:
    """A connection of the run's own, closed (and so unlocked) whatever happens.

    ``read_only`` connections (status, verify, dry runs) cannot change anything even by mistake.
    """
    server_settings = {
        "application_name": APPLICATION_NAME,
        # PostgreSQL 14+: a session whose client vanished (killed, network gone) stops its
        # statement within seconds instead of running on, holding the migration lock and the
        # migration's own locks. Costs one poll() per interval while a statement runs.
        "client_connection_check_interval": CLIENT_CHECK_INTERVAL,
    }
    if read_only:
        server_settings["default_transaction_read_only"] = "on"
    try:
        connection: Connection = await asyncpg.connect(
            url, timeout=connect_timeout, server_settings=server_settings
        )
    except CONNECTION_FAILURES as error:
        from cloudmetrics.startup_waits import redact

        raise MigrationError(
            f"cannot connect to PostgreSQL at {redact(url)}: {describe_error(error)}"
        ) from None
    try:
        yield connection
    finally:
        with contextlib.suppress(*CONNECTION_FAILURES):
            await connection.close(timeout=5)


@asynccontextmanager
async def migration_lock(connection: Connection, *, timeout: float) -> AsyncGenerator[None]:
    """Hold the migration lock, waiting at most ``timeout`` seconds for another runner."""
    # Waiting runners poll pg_try_advisory_lock instead of blocking in pg_advisory_lock: a
    # blocked statement keeps its snapshot open for the whole wait, and CREATE INDEX
    # CONCURRENTLY in the lock holder's no-transaction migration waits for every such snapshot.
    # Each would wait on the other, and PostgreSQL's deadlock detector could abort the holder's
    # build, leaving an INVALID index. Between tries a waiter holds nothing. The price is the
    # first-come order of the lock queue, which deploys (one per environment at a time) never
    # relied on.
    deadline = time.monotonic() + timeout
    while not await connection.fetchval("SELECT pg_try_advisory_lock($1)", MIGRATION_LOCK_KEY):
        if time.monotonic() >= deadline:
            holder = await _describe_holder(connection)
            raise MigrationLockTimeout(
                f"another migration run holds the lock ({holder}); gave up after {timeout:g}s — "
                "wait for it to finish, or retry with a longer --lock-timeout"
            )
        await asyncio.sleep(min(LOCK_POLL_INTERVAL, max(0.0, deadline - time.monotonic())))
    try:
        yield
    finally:
        # Closing the connection releases it too; unlocking first lets the next runner in
        # without waiting for the close handshake.
        with contextlib.suppress(*CONNECTION_FAILURES):
            await connection.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)


async def _describe_holder(connection: Connection) -> str:
    row = await connection.fetchrow(
        """
        SELECT a.pid, a.application_name, a.client_addr::text AS client, a.backend_start
        FROM pg_locks l JOIN pg_stat_activity a USING (pid)
        WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = $1
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        """,
        MIGRATION_LOCK_KEY,
    )
    if row is None:
        return "holder already gone"
    name = row["application_name"] or "unnamed session"
    client = row["client"] or "local socket"
    return f"pid {row['pid']}, {name} from {client}, connected at {row['backend_start']:%H:%M:%S}"
