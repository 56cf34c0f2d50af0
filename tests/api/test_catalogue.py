"""GET /v1/metrics: prefix filter, pagination, and the Redis cache in front of it."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudmetrics.metrics.pagination import encode_cursor
from tests.api.database import execute
from tests.api.points import batch, point
from tests.support.identity import IssuedKey

Client = AsyncTestClient[Litestar]

NAMES = ["cpu.idle", "cpu.load", "cpu.steal", "disk.free", "mem.used"]


async def _ingest(client: Client, *names: str) -> None:
    response = await client.post("/v1/metrics", json=batch(*(point(name) for name in names)))
    assert response.status_code == 201, response.text


async def _names(client: Client, **params: str | int) -> list[str]:
    response = await client.get("/v1/metrics", params=params)
    assert response.status_code == 200, response.text
    return [metric["name"] for metric in response.json()["metrics"]]


async def test_lists_names_in_order_with_creation_time(client: Client) -> None:
    await _ingest(client, *reversed(NAMES))

    response = await client.get("/v1/metrics")

    body = response.json()
    assert [metric["name"] for metric in body["metrics"]] == NAMES
    assert all(metric["createdAt"].endswith("Z") for metric in body["metrics"])
    assert body["nextCursor"] is None


async def test_prefix_filters_names(client: Client) -> None:
    await _ingest(client, *NAMES)

    assert await _names(client, prefix="cpu.") == ["cpu.idle", "cpu.load", "cpu.steal"]
    assert await _names(client, prefix="mem") == ["mem.used"]
    assert await _names(client, prefix="net") == []


async def test_pages_follow_the_cursor_without_gaps_or_repeats(client: Client) -> None:
    await _ingest(client, *NAMES)
    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 2}

    for _ in range(5):
        body = (await client.get("/v1/metrics", params=params)).json()
        seen += [metric["name"] for metric in body["metrics"]]
        if body["nextCursor"] is None:
            break
        params = {"limit": 2, "cursor": body["nextCursor"]}

    assert seen == NAMES


async def test_cursor_and_prefix_combine(client: Client) -> None:
    await _ingest(client, *NAMES)
    first = (await client.get("/v1/metrics", params={"prefix": "cpu", "limit": 1})).json()

    rest = await _names(client, prefix="cpu", limit=5, cursor=first["nextCursor"])

    assert rest == ["cpu.load", "cpu.steal"]


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not base64!"},
        {"cursor": "AAAA"},  # decodes to NUL bytes, never a name
        {"limit": 0},
        {"limit": 1001},
        {"prefix": "cpu load"},
    ],
)
async def test_bad_parameters_are_400(client: Client, params: dict[str, str | int]) -> None:
    response = await client.get("/v1/metrics", params=params)

    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


HIDDEN_METRIC = "INSERT INTO metrics (project_id, name) VALUES ($1, 'hidden.metric')"


async def test_cached_list_shows_a_new_metric_at_once(
    client: Client, migrated_database_url: str, api_key: IssuedKey
) -> None:
    await _ingest(client, "cpu.load")
    assert await _names(client) == ["cpu.load"]
    # Written behind the API's back: the cached page does not know about it, which proves
    # that the list above is being served from the cache.
    await execute(migrated_database_url, HIDDEN_METRIC, api_key.project_id)
    assert await _names(client) == ["cpu.load"]

    await _ingest(client, "disk.free")

    # The ingest that created a metric invalidated every cached page.
    assert await _names(client) == ["cpu.load", "disk.free", "hidden.metric"]


async def test_ingest_of_known_metrics_keeps_the_cache(
    client: Client, migrated_database_url: str, api_key: IssuedKey
) -> None:
    await _ingest(client, "cpu.load")
    assert await _names(client) == ["cpu.load"]
    await execute(migrated_database_url, HIDDEN_METRIC, api_key.project_id)

    await _ingest(client, "cpu.load")

    assert await _names(client) == ["cpu.load"]


async def test_cached_pages_of_different_queries_never_share_a_key(client: Client) -> None:
    # Names may hold ':'; a key made by joining cursor and prefix with ':' would give these two
    # queries the same cache entry.
    await _ingest(client, "a:c", "b:x", "cpu")
    after_a_b = await _names(client, cursor=encode_cursor("a:b"))
    after_a_prefix_b = await _names(client, cursor=encode_cursor("a"), prefix="b:")

    assert after_a_b == ["a:c", "b:x", "cpu"]
    assert after_a_prefix_b == ["b:x"]
