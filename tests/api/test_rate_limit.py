"""Rate limiting counted in Redis per API key: shared by every instance, open when Redis is
away."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudmetrics.app import create_app
from tests.api.conftest import api_settings
from tests.support.addresses import host_port, netloc
from tests.support.identity import IssuedKey, issue_key
from tests.support.tcp_proxy import TcpProxy

Client = AsyncTestClient[Litestar]
LIMIT = 3


@pytest.fixture
async def two_instances(
    migrated_database_url: str, redis_url: str, api_key: IssuedKey
) -> AsyncIterator[tuple[Client, Client]]:
    """Two apps, as two tasks of one service: same database, same Redis, same key prefix."""
    shared_prefix = f"test-{uuid.uuid4().hex[:12]}:"
    settings = api_settings(
        migrated_database_url, redis_url, key_prefix=shared_prefix, rate_limit_per_minute=LIMIT
    )
    async with (
        AsyncTestClient(create_app(settings)) as first,
        AsyncTestClient(create_app(settings)) as second,
    ):
        first.headers.update(api_key.headers)
        second.headers.update(api_key.headers)
        yield first, second


async def test_the_limit_is_shared_across_instances(two_instances: tuple[Client, Client]) -> None:
    first, second = two_instances
    statuses = [
        (await client.get("/v1/metrics")).status_code for client in (first, second, first, second)
    ]

    # Each instance alone has seen only two requests; together they have seen four.
    assert statuses == [200, 200, 200, 429]
    refused = await first.get("/v1/metrics")
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    # The problem response keeps the limiter's headers, so clients know when to come back.
    assert int(refused.headers["retry-after"]) > 0


async def test_admitted_responses_carry_the_limit_headers(
    two_instances: tuple[Client, Client],
) -> None:
    first, second = two_instances
    await first.get("/v1/metrics")

    response = await second.get("/v1/metrics")

    assert response.headers["RateLimit-Limit"] == str(LIMIT)
    assert response.headers["RateLimit-Remaining"] == str(LIMIT - 2)


async def test_probes_and_schema_are_not_limited(two_instances: tuple[Client, Client]) -> None:
    first, _ = two_instances
    for _ in range(LIMIT):
        await first.get("/v1/metrics")

    for path in ("/health", "/ready", "/schema/openapi.json"):
        assert (await first.get(path)).status_code == 200, path
    assert (await first.get("/v1/metrics")).status_code == 429


async def test_each_key_has_a_budget_of_its_own(
    two_instances: tuple[Client, Client], migrated_database_url: str
) -> None:
    first, _ = two_instances
    for _ in range(LIMIT):
        await first.get("/v1/metrics")
    assert (await first.get("/v1/metrics")).status_code == 429

    # Same client, same address, same project: another key still has its whole budget.
    other = await issue_key(migrated_database_url, "acme", ["read"])
    statuses = [
        (await first.get("/v1/metrics", headers=other.headers)).status_code
        for _ in range(LIMIT + 1)
    ]

    assert statuses == [200] * LIMIT + [429]


async def test_limit_fails_open_when_redis_is_down(
    migrated_database_url: str, redis_url: str, api_key: IssuedKey
) -> None:
    with TcpProxy(*host_port(redis_url)) as redis:
        settings = api_settings(
            migrated_database_url,
            redis.url_for(redis_url, netloc(redis_url)),
            rate_limit_per_minute=LIMIT,
        )
        async with AsyncTestClient(create_app(settings)) as client:
            client.headers.update(api_key.headers)
            redis.set_mode("refuse")

            statuses = {(await client.get("/v1/metrics")).status_code for _ in range(LIMIT + 3)}

            assert statuses == {200}
            redis.set_mode("forward")
