"""GET /v1/metrics/{name}/series: bucketing, aggregates, tag filters and the limits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudmetrics.app import create_app
from cloudmetrics.settings import QuerySettings
from tests.api.conftest import api_settings
from tests.api.database import execute
from tests.api.points import batch, now, point
from tests.support.identity import IssuedKey

Client = AsyncTestClient[Litestar]

# A window that ends at a whole hour in the past, so bucket boundaries are predictable.
END = now().replace(minute=0, second=0) - timedelta(hours=1)
START = END - timedelta(hours=1)


def _at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


@pytest.fixture
async def loaded(client: Client) -> Client:
    points = [
        point("cpu.load", value=1, at=_at(1), tags={"host": "a", "az": "1"}),
        point("cpu.load", value=3, at=_at(2), tags={"host": "b", "az": "1"}),
        point("cpu.load", value=5, at=_at(9), tags={"host": "a", "az": "2"}),
        point("cpu.load", value=10, at=_at(31), tags={"host": "a", "az": "1"}),
        # Outside the window on both sides.
        point("cpu.load", value=100, at=START - timedelta(seconds=1)),
        point("cpu.load", value=100, at=END),
        point("other.metric", value=1000, at=_at(1)),
    ]
    response = await client.post("/v1/metrics", json=batch(*points))
    assert response.status_code == 201, response.text
    return client


def _query(**overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "start": START.isoformat(),
        "end": END.isoformat(),
        "step": "10m",
        "agg": "avg",
    }
    params.update(overrides)
    return params


async def _series(client: Client, **overrides: Any) -> list[tuple[datetime, float]]:
    response = await client.get("/v1/metrics/cpu.load/series", params=_query(**overrides))
    assert response.status_code == 200, response.text
    return [(datetime.fromisoformat(p["timestamp"]), p["value"]) for p in response.json()["points"]]


@pytest.mark.parametrize(
    ("agg", "first_bucket", "later_bucket"),
    [
        ("avg", 3.0, 10.0),
        ("min", 1.0, 10.0),
        ("max", 5.0, 10.0),
        ("sum", 9.0, 10.0),
        ("count", 3.0, 1.0),
    ],
)
async def test_each_aggregate_over_buckets_aligned_on_start(
    loaded: Client, agg: str, first_bucket: float, later_bucket: float
) -> None:
    series = await _series(loaded, agg=agg)

    # Empty buckets are left out; the points outside [start, end) are not counted.
    assert series == [(_at(0), first_bucket), (_at(30), later_bucket)]


async def test_answer_describes_the_query(loaded: Client) -> None:
    response = await loaded.get(
        "/v1/metrics/cpu.load/series", params=_query(step="1h", agg="max", tag="host:a")
    )

    body = response.json()
    assert body["metric"] == "cpu.load"
    assert body["stepSeconds"] == 3600
    assert body["agg"] == "max"
    assert body["tags"] == {"host": "a"}
    assert datetime.fromisoformat(body["start"]) == START
    assert body["points"] == [{"timestamp": START.isoformat().replace("+00:00", "Z"), "value": 10}]


async def test_tag_filters_must_all_match(loaded: Client) -> None:
    assert await _series(loaded, agg="sum", step="1h", tag="host:a") == [(START, 16.0)]
    assert await _series(loaded, agg="sum", step="1h", tag=["host:a", "az:1"]) == [(START, 11.0)]
    assert await _series(loaded, agg="sum", step="1h", tag="host:nobody") == []


async def test_offsets_other_than_utc_are_understood(loaded: Client) -> None:
    plus_two = START.astimezone(datetime.fromisoformat("2000-01-01T00:00:00+02:00").tzinfo)

    series = await _series(loaded, start=plus_two.isoformat(), step="1h", agg="count")

    assert series == [(START, 4.0)]


async def test_unknown_metric_is_404(client: Client) -> None:
    response = await client.get("/v1/metrics/no.such.metric/series", params=_query())

    assert response.status_code == 404
    assert response.json()["type"].endswith("/not-found")


@pytest.mark.parametrize(
    ("overrides", "detail"),
    [
        ({"end": START.isoformat()}, "end must be after start"),
        ({"start": "2025-01-01T00:00:00"}, "UTC offset"),
        ({"step": "0s"}, None),
        ({"step": "5 minutes"}, None),
        ({"agg": "median"}, None),
        ({"start": "last week"}, None),
        ({"tag": "host"}, "key:value"),
        ({"tag": ["host:a", "host:b"]}, "filtered twice"),
        ({"tag": "bad key:a"}, "tag key"),
        # datetime.min would reach PostgreSQL as -infinity, which date_bin cannot bucket.
        ({"start": "0001-01-01T00:00:00Z", "step": "999d"}, "start must lie between"),
        ({"end": "9999-12-31T23:59:59Z", "step": "999d"}, "end must lie between"),
    ],
)
async def test_bad_queries_are_400(
    loaded: Client, overrides: dict[str, Any], detail: str | None
) -> None:
    response = await loaded.get("/v1/metrics/cpu.load/series", params=_query(**overrides))

    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if detail:
        assert detail in response.json()["detail"]


async def test_invalid_metric_name_is_400(client: Client) -> None:
    response = await client.get("/v1/metrics/9lives/series", params=_query())

    assert response.status_code == 400


async def test_too_many_buckets_is_a_clear_400(
    migrated_database_url: str, redis_url: str, api_key: IssuedKey
) -> None:
    settings = api_settings(migrated_database_url, redis_url, query=QuerySettings(max_buckets=6))
    async with AsyncTestClient(create_app(settings)) as client:
        client.headers.update(api_key.headers)
        await client.post("/v1/metrics", json=batch(point("cpu.load", at=_at(1))))
        just_enough = await client.get("/v1/metrics/cpu.load/series", params=_query(step="10m"))
        too_many = await client.get("/v1/metrics/cpu.load/series", params=_query(step="9m"))

    assert just_enough.status_code == 200
    assert too_many.status_code == 400
    problem = too_many.json()
    assert problem["buckets"] == 7
    assert problem["maxBuckets"] == 6
    assert "at most 6" in problem["detail"]


async def test_a_sum_past_double_range_is_400_not_500(client: Client) -> None:
    await client.post(
        "/v1/metrics",
        json=batch(
            point("huge", value=1.7e308, at=_at(1)), point("huge", value=1.7e308, at=_at(2))
        ),
    )

    response = await client.get("/v1/metrics/huge/series", params=_query(agg="sum"))

    assert response.status_code == 400
    assert "overflows" in response.json()["detail"]


async def test_a_renamed_and_recreated_metric_answers_with_its_own_points(
    client: Client, migrated_database_url: str
) -> None:
    await client.post("/v1/metrics", json=batch(point("cpu.load", value=1.0, at=_at(1))))
    first = await client.get("/v1/metrics/cpu.load/series", params=_query(agg="max"))
    # Behind the API's back, as a restore or a recreated database would: the name now belongs
    # to a new metric with another id.
    await execute(
        migrated_database_url, "UPDATE metrics SET name = 'cpu.old' WHERE name = 'cpu.load'"
    )
    await client.post("/v1/metrics", json=batch(point("cpu.load", value=2.0, at=_at(1))))

    second = await client.get("/v1/metrics/cpu.load/series", params=_query(agg="max"))

    assert [p["value"] for p in first.json()["points"]] == [1.0]
    assert [p["value"] for p in second.json()["points"]] == [2.0]
