"""Readiness's own PostgreSQL connection, outside the pool (docs/adr/0002).

Probing through the pool made /ready compete with traffic: with every pooled connection busy
serving requests, the probe waited, timed out, and a healthy task reported 503 and was taken out
of the load balancer at its busiest. A busy pool is not an unready task. One connection of its
own, opened on first use, answers the question the probe asks (does PostgreSQL answer, is the
schema at the head) whatever the traffic does, and costs the database one connection per task
(counted in the connection budget, docs/adr/0032).

Concurrent probes take turns on the connection (a probe is two short queries). A probe that
fails or times out drops the connection, whose state is then unknown; the next one reconnects.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import asyncpg

from cloudmetrics.settings import DatabaseSettings

if TYPE_CHECKING:
    from cloudmetrics.database import Connection

T = TypeVar("T")

APPLICATION_NAME = "cloudmetrics-readiness"


class ProbeConnection:
    def __init__(self, settings: DatabaseSettings) -> None:
        self._settings = settings
        self._connection: Connection | None = None
        self._turn = asyncio.Lock()

    async def run(self, work: Callable[[Connection], Awaitable[T]]) -> T:
        """Run ``work`` on the probe connection, connecting first if needed. The caller bounds
        the time (the readiness check's budget); a cancelled or failed run drops the
        connection."""
        async with self._turn:
            try:
                connection = self._connection
                if connection is None or connection.is_closed():
                    connection = self._connection = await self._connect()
                return await work(connection)
            except BaseException:
                self._drop()
                raise

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await asyncio.wait_for(connection.close(), timeout=1)
            except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                connection.terminate()

    async def _connect(self) -> Connection:
        connection: Any = await asyncpg.connect(
            self._settings.url,
            timeout=self._settings.connect_timeout,
            statement_cache_size=self._settings.statement_cache_size,
            server_settings={"application_name": APPLICATION_NAME},
        )
        return connection

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            # terminate() closes the socket at once: close() would wait for a frozen server.
            connection.terminate()
