"""The one way a query borrows a connection: under its project's concurrency budget, in a
read-only transaction whose statements the database stops at QUERY_TIMEOUT.

- Concurrency: a project runs at most `concurrent_queries` queries at once over every task
  (metrics/budgets.py). The slots live in Redis as leases (a sorted set scored by expiry), so a
  task that dies holding one frees it within LEASE_SECONDS; a claim is one atomic script. Past
  the budget a query is a 429 with Retry-After at once, so one tenant's heavy queries never
  queue for the pool in front of everyone else's. A Redis failure admits the query: the
  statement timeout still bounds it.
- Time: `SET LOCAL statement_timeout` in the query's own transaction, so the bound is per query,
  not per pool, and the database itself stops the work (asyncpg's command_timeout only stops
  waiting for it). A query stopped there is a 422 naming the limit.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

import asyncpg

from cloudmetrics.database import Connection
from cloudmetrics.errors import CloudMetricsError
from cloudmetrics.redis_client import REDIS_FAILURES, claim_slot, release_slot
from cloudmetrics.resources import Resources

LEASE_SECONDS = 30.0
RETRY_AFTER_SECONDS = 1


class TooManyQueries(CloudMetricsError):
    status_code = 429
    problem = "too-many-concurrent-queries"


class QueryTooExpensive(CloudMetricsError):
    status_code = 422
    problem = "query-too-expensive"


@asynccontextmanager
async def query_connection(resources: Resources, project_id: int) -> AsyncGenerator[Connection]:
    """A connection for one of ``project_id``'s queries (see the module's docstring)."""
    timeout = resources.settings.budgets.query_timeout_seconds
    async with resources.connection() as connection:
        budgets = await resources.budgets.of(connection, resources.settings.budgets, project_id)
        async with _slot(resources, project_id, budgets.concurrent_queries):
            try:
                async with connection.transaction(readonly=True):
                    await connection.execute(f"SET LOCAL statement_timeout = {int(timeout * 1000)}")
                    yield connection
            except asyncpg.QueryCanceledError:
                raise QueryTooExpensive(
                    f"the query ran past its budget QUERY_TIMEOUT={timeout:g}s and was stopped; "
                    "ask for a shorter range, a larger step or fewer series",
                    extra={"limit": "query_timeout_seconds", "value": timeout},
                ) from None


@asynccontextmanager
async def _slot(resources: Resources, project_id: int, budget: int) -> AsyncGenerator[None]:
    key = f"{resources.settings.cache.key_prefix}queries:{project_id}"
    holder = secrets.token_hex(8)
    try:
        taken, running = await claim_slot(
            resources.redis,
            key,
            holder,
            now=time.time(),
            lease_seconds=LEASE_SECONDS,
            limit=budget,
        )
    except REDIS_FAILURES:
        yield  # guarded() has logged it
        return
    if not taken:
        raise TooManyQueries(
            f"the project already runs {running} queries, its budget "
            f"concurrent_queries={budget}; retry in a moment",
            extra={"limit": "concurrent_queries", "value": budget, "current": running},
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    try:
        yield
    finally:
        await _give_back(resources, key, holder)


async def _give_back(resources: Resources, key: str, holder: str) -> None:
    try:
        await release_slot(resources.redis, key, holder)
    except REDIS_FAILURES:
        return  # the lease runs out by itself
