"""The service on a Redis Cluster, as in AWS (ElastiCache, cluster mode enabled, 3 shards)."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from cloudmetrics.app import create_app
from cloudmetrics.settings import RateLimitSettings, Settings
from tests.support.identity import issue_key
from tests.support.settings import make_settings

Client = AsyncTestClient[Litestar]


def _cluster_settings(database_url: str, cluster_url: str, prefix: str, limit: int = 0) -> Settings:
    return make_settings(
        database_url,
        cluster_url,
        cache={"cluster": True, "key_prefix": prefix},
        rate_limit=RateLimitSettings(per_minute=limit),
    )


@pytest.fixture
async def client(migrated_database_url: str, redis_cluster_url: str) -> AsyncIterator[Client]:
    settings = _cluster_settings(
        migrated_database_url, redis_cluster_url, f"c-{uuid.uuid4().hex[:8]}:"
    )
    key = await issue_key(migrated_database_url)
    async with AsyncTestClient(create_app(settings)) as test_client:
        test_client.headers.update(key.headers)
        yield test_client


async def _ingest(client: Client, name: str) -> None:
    point: dict[str, object] = {
        "name": name,
        "timestamp": datetime.now(UTC).isoformat(),
        "value": 1.0,
        "tags": {},
    }
    response = await client.post("/v1/metrics", json={"points": [point]})
    assert response.status_code == 201, response.text


async def _keys_on_nodes(ports: list[int], pattern: str) -> dict[int, int]:
    counts: dict[int, int] = {}
    for port in ports:
        node = Redis(port=port)
        try:
            counts[port] = len(await node.keys(pattern))  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
        finally:
            await node.aclose()
    return counts


async def test_readiness_passes_on_a_cluster(client: Client) -> None:
    response = await client.get("/ready")

    assert response.status_code == 200
    (entry,) = response.json()["checks"]["redis:responseTime"]
    assert entry["status"] == "pass"


async def test_catalogue_is_cached_in_the_cluster_and_invalidated(
    client: Client, redis_cluster_ports: list[int]
) -> None:
    await _ingest(client, "cluster.first")
    first = await client.get("/v1/metrics")
    await _ingest(client, "cluster.second")
    second = await client.get("/v1/metrics")

    assert [m["name"] for m in first.json()["metrics"]] == ["cluster.first"]
    assert [m["name"] for m in second.json()["metrics"]] == ["cluster.first", "cluster.second"]
    # The cache really lives in the cluster: its keys are on the nodes, not errors read as misses.
    counts = await _keys_on_nodes(redis_cluster_ports, "c-*")
    assert sum(counts.values()) > 0, counts


async def test_rate_limit_is_shared_through_the_cluster(
    migrated_database_url: str, redis_cluster_url: str
) -> None:
    settings = _cluster_settings(
        migrated_database_url, redis_cluster_url, f"c-{uuid.uuid4().hex[:8]}:", limit=2
    )
    key = await issue_key(migrated_database_url)
    async with (
        AsyncTestClient(create_app(settings)) as first,
        AsyncTestClient(create_app(settings)) as second,
    ):
        first.headers.update(key.headers)
        second.headers.update(key.headers)
        statuses = [(await c.get("/v1/metrics")).status_code for c in (first, second, first)]

    assert statuses == [200, 200, 429]


async def test_an_unreachable_cluster_degrades_to_uncached(migrated_database_url: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings = _cluster_settings(
        migrated_database_url, f"redis://127.0.0.1:{closed_port}/0", "c-down:", limit=100
    )
    key = await issue_key(migrated_database_url)
    async with AsyncTestClient(create_app(settings)) as client:
        client.headers.update(key.headers)
        ready = await client.get("/ready")
        await _ingest(client, "cluster.down")
        listed = await client.get("/v1/metrics")

    # The API keeps answering without its cache or its shared limit; readiness says so.
    assert ready.status_code == 200
    assert ready.json()["status"] == "warn"
    assert listed.status_code == 200
    assert [m["name"] for m in listed.json()["metrics"]] == ["cluster.down"]
