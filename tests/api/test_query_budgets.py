"""Query budgets: a project's concurrent queries are bounded over every process sharing the
Redis (429 with Retry-After past it), and the database stops a query at QUERY_TIMEOUT (422
naming the limit)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from litestar import get
from litestar.testing import AsyncTestClient

from cloudmetrics.app import create_app
from cloudmetrics.database import open_pool
from cloudmetrics.health.probe_connection import ProbeConnection
from cloudmetrics.identity.password_work import PasswordWork
from cloudmetrics.metrics.query_budget import TooManyQueries, query_connection
from cloudmetrics.redis_client import open_redis
from cloudmetrics.resources import Resources
from cloudmetrics.settings import BudgetSettings, Settings
from tests.api.conftest import api_settings
from tests.support.identity import issue_key


@get("/test/slow-query/{project_id:int}")
async def slow_query(project_id: int, resources: object) -> str:
    assert isinstance(resources, Resources)
    async with query_connection(resources, project_id) as connection:
        await connection.execute("SELECT pg_sleep(2)")
    return "done"


def _settings(database_url: str, redis_url: str, prefix: str, **budgets: float) -> Settings:
    return api_settings(
        database_url,
        redis_url,
        key_prefix=prefix,
        budgets=BudgetSettings(**budgets),  # type: ignore[arg-type]
    )


@pytest.fixture
async def two_processes(
    migrated_database_url: str, redis_url: str
) -> AsyncIterator[tuple[Resources, Resources, int]]:
    """What two tasks hold (a pool and a Redis client each) on one database and one Redis,
    with a budget of 2 concurrent queries per project."""
    project_id = (await issue_key(migrated_database_url, "acme")).project_id
    settings = _settings(
        migrated_database_url, redis_url, f"test-{uuid.uuid4().hex[:12]}:", concurrent_queries=2
    )
    opened = [await _resources(settings) for _ in range(2)]
    try:
        yield opened[0], opened[1], project_id
    finally:
        for resources in opened:
            await resources.pool.close()
            await resources.redis.aclose()
            await resources.probe.close()


async def _resources(settings: Settings) -> Resources:
    return Resources(
        settings=settings,
        pool=await open_pool(settings.database),
        redis=open_redis(settings.cache),
        probe=ProbeConnection(settings.database),
        password_work=PasswordWork(threads=1, queue=0),
    )


async def _sleep_in(resources: Resources, project_id: int, seconds: float) -> str:
    try:
        async with query_connection(resources, project_id) as connection:
            await connection.execute(f"SELECT pg_sleep({seconds})")
    except TooManyQueries as refused:
        return f"refused {refused.extra} after {refused.headers['Retry-After']}s"
    return "ran"


async def test_a_projects_queries_are_bounded_across_processes(
    two_processes: tuple[Resources, Resources, int],
) -> None:
    first, second, project_id = two_processes

    outcomes = await asyncio.gather(
        _sleep_in(first, project_id, 0.5),
        _sleep_in(second, project_id, 0.5),
        _sleep_in(first, project_id, 0.5),
        _sleep_in(second, project_id, 0.5),
    )
    later = await _sleep_in(second, project_id, 0)

    refused = "refused {'limit': 'concurrent_queries', 'value': 2, 'current': 2} after 1s"
    assert sorted(outcomes) == ["ran", "ran", refused, refused]
    assert later == "ran"  # the slots were given back


async def test_another_projects_queries_have_their_own_budget(
    two_processes: tuple[Resources, Resources, int],
) -> None:
    first, second, project_id = two_processes

    outcomes = await asyncio.gather(
        _sleep_in(first, project_id, 0.5),
        _sleep_in(second, project_id, 0.5),
        _sleep_in(first, project_id + 1000, 0.1),
    )

    assert list(outcomes) == ["ran", "ran", "ran"]


async def test_the_database_stops_a_query_at_its_timeout(
    migrated_database_url: str, redis_url: str
) -> None:
    project_id = (await issue_key(migrated_database_url, "acme")).project_id
    settings = api_settings(
        migrated_database_url, redis_url, budgets=BudgetSettings(query_timeout_seconds=0.2)
    )
    app = create_app(settings, extra_route_handlers=[slow_query])
    async with AsyncTestClient(app) as client:
        answer = await client.get(f"/test/slow-query/{project_id}")

    assert answer.status_code == 422
    assert answer.json()["type"].endswith("/query-too-expensive")
    assert (answer.json()["limit"], answer.json()["value"]) == ("query_timeout_seconds", 0.2)
