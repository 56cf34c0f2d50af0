"""Two projects on one service: the same metric names, no view of each other's data, and no
shared cache entries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.points import batch, now, point
from tests.support.identity import IssuedKey, issue_key

Client = AsyncTestClient[Litestar]


def _window() -> dict[str, str]:
    # Computed per call: a window fixed at import would miss points written minutes later.
    return {
        "start": (now() - timedelta(hours=1)).isoformat(),
        "end": (now() + timedelta(minutes=1)).isoformat(),
        "step": "2h",
        "agg": "max",
    }


@pytest.fixture
async def two_keys(migrated_database_url: str) -> tuple[IssuedKey, IssuedKey]:
    return (
        await issue_key(migrated_database_url, "acme"),
        await issue_key(migrated_database_url, "globex"),
    )


async def _write(client: Client, key: IssuedKey, *points: dict[str, object]) -> int:
    response = await client.post("/v1/metrics", json=batch(*points), headers=key.headers)
    assert response.status_code == 201, response.text
    new_metrics: int = response.json()["newMetrics"]
    return new_metrics


async def _names(client: Client, key: IssuedKey) -> list[str]:
    response = await client.get("/v1/metrics", headers=key.headers)
    assert response.status_code == 200, response.text
    return [metric["name"] for metric in response.json()["metrics"]]


async def _max(client: Client, key: IssuedKey, name: str) -> list[float]:
    response = await client.get(f"/v1/metrics/{name}/series", params=_window(), headers=key.headers)
    assert response.status_code == 200, response.text
    return [bucket["value"] for bucket in response.json()["points"]]


async def test_the_same_name_is_two_metrics_in_two_projects(
    anonymous_client: Client, two_keys: tuple[IssuedKey, IssuedKey]
) -> None:
    acme, globex = two_keys

    assert await _write(anonymous_client, acme, point("cpu", value=1.0)) == 1
    # New to globex, although acme has a metric of that name.
    assert await _write(anonymous_client, globex, point("cpu", value=50.0)) == 1

    assert await _max(anonymous_client, acme, "cpu") == [1.0]
    assert await _max(anonymous_client, globex, "cpu") == [50.0]


async def test_listings_and_their_cache_stay_within_the_project(
    anonymous_client: Client, two_keys: tuple[IssuedKey, IssuedKey]
) -> None:
    acme, globex = two_keys
    await _write(anonymous_client, acme, point("acme.only"), point("shared"))

    # Cached for acme first: globex's identical query must not be served acme's page.
    assert await _names(anonymous_client, acme) == ["acme.only", "shared"]
    assert await _names(anonymous_client, globex) == []

    await _write(anonymous_client, globex, point("globex.only"))

    # globex's new metric invalidates globex's pages, and appears in no one else's.
    assert await _names(anonymous_client, globex) == ["globex.only"]
    assert await _names(anonymous_client, acme) == ["acme.only", "shared"]


async def test_another_project_s_metric_is_indistinguishable_from_a_missing_one(
    anonymous_client: Client, two_keys: tuple[IssuedKey, IssuedKey]
) -> None:
    acme, globex = two_keys
    await _write(anonymous_client, acme, point("secret.metric"))

    theirs = await anonymous_client.get(
        "/v1/metrics/secret.metric/series", params=_window(), headers=globex.headers
    )
    missing = await anonymous_client.get(
        "/v1/metrics/never.written/series", params=_window(), headers=globex.headers
    )

    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["type"] == missing.json()["type"]
