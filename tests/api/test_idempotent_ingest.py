"""One value per series and timestamp: retried batches add nothing, the first value stays."""

from __future__ import annotations

from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.database import execute, fetch_value, point_count
from tests.api.points import batch, now, point

Client = AsyncTestClient[Litestar]


async def test_a_retried_batch_does_not_double_its_points(
    client: Client, migrated_database_url: str
) -> None:
    at = now() - timedelta(minutes=3)
    body = batch(
        point("cpu.load", value=1, at=at, tags={"host": "a"}),
        point("cpu.load", value=2, at=at + timedelta(seconds=1), tags={"host": "a"}),
        point("cpu.load", value=3, at=at, tags={"host": "b"}),
    )

    first = await client.post("/v1/metrics", json=body)
    retried = await client.post("/v1/metrics", json=body)

    assert first.json() == {"accepted": 3, "newMetrics": 1, "duplicates": 0}
    assert retried.status_code == 201
    assert retried.json() == {"accepted": 3, "newMetrics": 0, "duplicates": 3}
    assert await point_count(migrated_database_url) == 3
    series = await client.get(
        "/v1/metrics/cpu.load/series",
        params={
            "start": (at - timedelta(minutes=1)).isoformat(),
            "end": (at + timedelta(minutes=1)).isoformat(),
            "step": "2m",
            "agg": "sum",
        },
    )
    assert [p["value"] for p in series.json()["points"]] == [6.0]


async def test_the_first_value_for_a_series_and_timestamp_wins(
    client: Client, migrated_database_url: str
) -> None:
    at = now() - timedelta(minutes=3)
    await client.post("/v1/metrics", json=batch(point("temp", value=20.5, at=at)))

    later = await client.post(
        "/v1/metrics",
        json=batch(point("temp", value=99, at=at), point("temp", value=7, at=at), point("temp")),
    )

    assert later.json()["duplicates"] == 2
    assert (
        await fetch_value(migrated_database_url, "SELECT value FROM samples WHERE ts = $1", at)
        == 20.5
    )
    # Within one batch as well: the first of two points for the same instant is kept.
    twice = await client.post(
        "/v1/metrics",
        json=batch(
            point("temp", value=1, at=at + timedelta(seconds=5)),
            point("temp", value=2, at=at + timedelta(seconds=5)),
        ),
    )
    assert twice.json()["duplicates"] == 1
    assert (
        await fetch_value(
            migrated_database_url,
            "SELECT value FROM samples WHERE ts = $1",
            at + timedelta(seconds=5),
        )
        == 1.0
    )


async def test_tag_order_does_not_make_another_series(
    client: Client, migrated_database_url: str
) -> None:
    at = now() - timedelta(minutes=3)
    await client.post(
        "/v1/metrics", json=batch(point("net.rx", at=at, tags={"host": "a", "nic": "eth0"}))
    )

    again = await client.post(
        "/v1/metrics", json=batch(point("net.rx", at=at, tags={"nic": "eth0", "host": "a"}))
    )

    assert again.json()["duplicates"] == 1
    assert await fetch_value(migrated_database_url, "SELECT count(*) FROM series") == 1


async def test_a_point_in_a_day_without_a_partition_is_still_written(
    client: Client, migrated_database_url: str
) -> None:
    """Ingest never fails for lack of a partition, even when maintenance has not run."""
    at = now() - timedelta(days=2)
    day = at.strftime("%Y%m%d")
    for table in ("sample_chunks", "sample_blocks"):
        await execute(migrated_database_url, f"DROP TABLE {table}_p{day}")

    response = await client.post("/v1/metrics", json=batch(point("late", at=at)))

    assert response.status_code == 201, response.text
    assert await point_count(migrated_database_url) == 1
    for table in ("sample_chunks", "sample_blocks"):
        assert await fetch_value(
            migrated_database_url, "SELECT to_regclass($1) IS NOT NULL", f"{table}_p{day}"
        )
