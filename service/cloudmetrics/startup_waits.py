"""Reaching PostgreSQL and Redis before the service starts, with advice when they are missing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from urllib.parse import unquote, urlsplit, urlunsplit

import asyncpg

from cloudmetrics.errors import describe_error
from cloudmetrics.outages import CONNECT_OUTAGES
from cloudmetrics.redis_client import open_redis, ping
from cloudmetrics.settings import CacheSettings

START_POSTGRESQL = (
    "start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, "
    "or point DATABASE_URL at a running server"
)
START_REDIS = (
    'start it with `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" '
    "--appendonly no`, or point REDIS_URL at a running server"
)


class DependencyMissing(RuntimeError):
    """A backing service could not be reached; the message says which and how to start it."""


def redact(url: str) -> str:
    """The URL without its password, safe for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


# The server answered and said no: waiting will not help, the URL needs fixing.
_REFUSALS = (asyncpg.InvalidCatalogNameError, asyncpg.InvalidAuthorizationSpecificationError)


async def wait_for_postgresql(url: str, *, timeout: float) -> None:
    """Connect until it works or ``timeout`` seconds have passed."""
    last_error = await _retry_until(timeout, lambda: _ping_postgresql(url), final=_REFUSALS)
    if isinstance(last_error, _REFUSALS):
        raise DependencyMissing(
            f"PostgreSQL at {redact(url)} refused the connection ({describe_error(last_error)}): "
            "check the role, password and database name in DATABASE_URL"
        )
    if last_error is not None:
        raise DependencyMissing(
            f"PostgreSQL is not reachable at {redact(url)} ({describe_error(last_error)}): "
            f"{START_POSTGRESQL}"
        )


async def wait_for_redis(
    url: str, *, timeout: float, username: str | None = None, password: str | None = None
) -> None:
    settings = CacheSettings(url=url, socket_timeout=2, username=username, password=password)
    last_error = await _retry_until(timeout, lambda: _ping_redis(settings))
    if last_error is not None:
        raise DependencyMissing(
            f"Redis is not reachable at {redact(url)} ({describe_error(last_error)}): {START_REDIS}"
        )


async def ensure_database(url: str) -> bool:
    """Create the database named in ``url`` if it does not exist. Returns True if it created it.

    Connects to the server's `postgres` maintenance database, as createdb does.
    """
    parts = urlsplit(url)
    # The URL's path is percent-encoded ("my%20db"); asyncpg connects to the decoded name.
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise DependencyMissing(f"DATABASE_URL names no database: {redact(url)}")
    maintenance_url = urlunsplit(parts._replace(path="/postgres"))
    connection = await asyncpg.connect(maintenance_url, timeout=5)
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            return False
        # Identifiers cannot be parameters; quote_ident-style escaping keeps any name safe.
        quoted = '"' + name.replace('"', '""') + '"'
        await connection.execute(f"CREATE DATABASE {quoted}")
        return True
    finally:
        await connection.close()


async def _ping_postgresql(url: str) -> None:
    connection = await asyncpg.connect(url, timeout=2)
    try:
        await connection.fetchval("SELECT 1")
    finally:
        await connection.close()


async def _ping_redis(settings: CacheSettings) -> None:
    client = open_redis(settings)
    try:
        await ping(client)
    finally:
        await client.aclose()


async def _retry_until(
    timeout: float,
    attempt: Callable[[], Awaitable[None]],
    *,
    final: tuple[type[Exception], ...] = (),
) -> Exception | None:
    """Call ``attempt`` until it succeeds (None), fails with a ``final`` error, or the deadline
    passes; return the last error."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            await attempt()
        except CONNECT_OUTAGES as error:
            if isinstance(error, final) or time.monotonic() >= deadline:
                return error
            await asyncio.sleep(0.5)
        else:
            return None
