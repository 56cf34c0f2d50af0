"""Series budgets per project: a batch that would pass one is refused whole with a 422 problem
naming the limit, its value and the current count, and nothing of it is written; the same on
every protocol's write path; per-project overrides beat the defaults; other projects are
untouched."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudmetrics.app import create_app
from cloudmetrics.metrics.budgets import Overrides, write_overrides
from cloudmetrics.settings import BudgetSettings
from tests.api.conftest import api_settings
from tests.protocols.remote_messages import HEADERS, write_request
from tests.support.identity import IssuedKey, issue_key

Client = AsyncTestClient[Litestar]


def _points(metric: str, hosts: range) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {
        "points": [
            {"name": metric, "value": 1.0, "timestamp": now, "tags": {"host": f"h{n}"}}
            for n in hosts
        ]
    }


@pytest.fixture
async def budgeted(
    migrated_database_url: str, redis_url: str
) -> AsyncIterator[tuple[Client, IssuedKey, IssuedKey]]:
    """An app whose defaults are small; "acme" and "globex" keys."""
    acme = await issue_key(migrated_database_url, "acme")
    globex = await issue_key(migrated_database_url, "globex")
    settings = api_settings(
        migrated_database_url,
        redis_url,
        budgets=BudgetSettings(series_per_project=6, series_per_metric=4, new_series_per_minute=50),
    )
    async with AsyncTestClient(create_app(settings)) as client:
        yield client, acme, globex


async def _metric_names(database_url: str, project_id: int) -> list[str]:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT name FROM metrics WHERE project_id = $1 ORDER BY name", project_id
        )
    finally:
        await connection.close()
    return [row["name"] for row in rows]


async def test_a_metric_past_its_series_budget_is_refused_whole(
    budgeted: tuple[Client, IssuedKey, IssuedKey], migrated_database_url: str
) -> None:
    client, acme, _ = budgeted
    body = _points("cpu", range(3))
    body["points"].append({**_points("fresh", range(1))["points"][0]})
    first = await client.post("/v1/metrics", json=body, headers=acme.headers)
    more = [*_points("cpu", range(3, 5))["points"], *_points("other", range(1))["points"]]
    refused = await client.post("/v1/metrics", json={"points": more}, headers=acme.headers)

    assert first.status_code in (200, 201), first.text
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["type"].endswith("/series-budget-exceeded")
    assert (problem["limit"], problem["value"], problem["current"], problem["requested"]) == (
        "series_per_metric",
        4,
        3,
        2,
    )
    assert problem["metric"] == "cpu"
    # Nothing of the refused request: not even the metric name "other".
    assert await _metric_names(migrated_database_url, acme.project_id) == ["cpu", "fresh"]
    # Points of series that exist are still welcome.
    again = await client.post("/v1/metrics", json=_points("cpu", range(3)), headers=acme.headers)
    assert again.status_code in (200, 201)


async def test_the_project_budget_counts_every_metric_and_spares_other_projects(
    budgeted: tuple[Client, IssuedKey, IssuedKey],
) -> None:
    client, acme, globex = budgeted
    for metric in ("a", "b"):
        written = await client.post(
            "/v1/metrics", json=_points(metric, range(3)), headers=acme.headers
        )
        assert written.status_code in (200, 201)

    refused = await client.post("/v1/metrics", json=_points("c", range(1)), headers=acme.headers)
    elsewhere = await client.post(
        "/v1/metrics", json=_points("c", range(4)), headers=globex.headers
    )

    assert refused.status_code == 422
    assert (refused.json()["limit"], refused.json()["value"], refused.json()["current"]) == (
        "series",
        6,
        6,
    )
    assert elsewhere.status_code in (200, 201)


async def test_an_override_beats_the_default(
    budgeted: tuple[Client, IssuedKey, IssuedKey], migrated_database_url: str
) -> None:
    client, acme, _ = budgeted
    connection = await asyncpg.connect(migrated_database_url)
    try:
        await write_overrides(
            connection, acme.project_id, Overrides(series=100, series_per_metric=100)
        )
    finally:
        await connection.close()

    written = await client.post("/v1/metrics", json=_points("cpu", range(10)), headers=acme.headers)

    assert written.status_code in (200, 201), written.text


async def test_new_series_per_minute_are_counted_across_requests(
    migrated_database_url: str, redis_url: str
) -> None:
    acme = await issue_key(migrated_database_url, "acme")
    settings = api_settings(
        migrated_database_url, redis_url, budgets=BudgetSettings(new_series_per_minute=4)
    )
    async with AsyncTestClient(create_app(settings)) as client:
        if 60 - time.time() % 60 < 5:
            await asyncio.sleep(6)  # both requests in one calendar minute
        first = await client.post("/v1/metrics", json=_points("a", range(3)), headers=acme.headers)
        refused = await client.post(
            "/v1/metrics", json=_points("b", range(2)), headers=acme.headers
        )

    assert first.status_code in (200, 201)
    assert refused.status_code == 422
    assert refused.json()["limit"] == "new_series_per_minute"
    assert refused.json()["current"] == 3
    assert 1 <= int(refused.headers["retry-after"]) <= 60


async def test_remote_write_and_line_protocol_get_the_same_refusal(
    budgeted: tuple[Client, IssuedKey, IssuedKey],
) -> None:
    client, acme, _ = budgeted
    now_ms = int(time.time() * 1000)
    remote = write_request(
        [({"__name__": "up", "job": f"j{n}"}, [(now_ms, 1.0)]) for n in range(5)]
    )
    lines = "\n".join(f"disk,host=h{n} used=1 {now_ms}" for n in range(5))

    remote_write = await client.post(
        "/api/v1/write", content=remote, headers={**HEADERS, **acme.headers}
    )
    influx = await client.post(
        "/api/v2/write?precision=ms",
        content=lines,
        headers={"Authorization": f"Token {acme.text}"},
    )

    # 4xx other than 429: Prometheus drops the batch rather than retrying it for ever.
    assert remote_write.status_code == 422
    assert remote_write.json()["limit"] == "series_per_metric"
    assert influx.status_code == 422
