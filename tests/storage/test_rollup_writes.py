"""Rollup rows add up batches that land in the same bucket, never replace what was there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from cloudmetrics.metrics.ingest import write_points
from cloudmetrics.metrics.models import Point
from cloudmetrics.metrics.series_ids import SeriesIdCache

# The project migration 0002 creates for the metrics that predate projects.
PROJECT = 1
TAGS = '{"host": "a"}'


async def test_two_batches_in_one_hour_add_up_in_the_hour_and_minute_rollups(
    migrated_database_url: str,
) -> None:
    # Two days back, on the hour: inside the partitions every migrated database has.
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=2)
    # Each batch in its own minute of the same hour, and both in one minute as well: the hour
    # row and one minute row see a conflict, the other minute rows do not.
    first = [
        Point("adds", hour + timedelta(minutes=1), 1.5, TAGS),
        Point("adds", hour + timedelta(minutes=30), 2.0, TAGS),
    ]
    second = [
        Point("adds", hour + timedelta(minutes=30, seconds=10), -4.0, TAGS),
        Point("adds", hour + timedelta(minutes=59), 10.25, TAGS),
    ]
    cache = SeriesIdCache()
    connection = await asyncpg.connect(migrated_database_url)
    try:
        await write_points(connection, PROJECT, first, cache)
        written = await write_points(connection, PROJECT, second, cache)
        (series,) = written.series.values()
        hours = await connection.fetch(
            "SELECT bucket, count, sum, min, max FROM rollups_1h WHERE series_id = $1", series
        )
        minutes = await connection.fetch(
            "SELECT bucket, count, sum, min, max FROM rollups_1m WHERE series_id = $1 "
            "ORDER BY bucket",
            series,
        )
    finally:
        await connection.close()

    assert [tuple(row) for row in hours] == [(hour, 4, 9.75, -4.0, 10.25)]
    assert [tuple(row) for row in minutes] == [
        (hour + timedelta(minutes=1), 1, 1.5, 1.5, 1.5),
        (hour + timedelta(minutes=30), 2, -2.0, -4.0, 2.0),
        (hour + timedelta(minutes=59), 1, 10.25, 10.25, 10.25),
    ]
