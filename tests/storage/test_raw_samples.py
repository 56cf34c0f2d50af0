"""Raw sample reads: per series, [start, end), integer milliseconds, oldest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from cloudmetrics.metrics.ingest import write_points
from cloudmetrics.metrics.models import Point
from cloudmetrics.metrics.series_ids import SeriesIdCache
from cloudmetrics.storage.samples import read_raw_samples

PROJECT = 1


async def test_points_of_each_series_come_back_in_order_within_the_window(
    migrated_database_url: str,
) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    # Written newest first, and one with microseconds, which fall into their millisecond.
    points = [
        Point("raw", start + timedelta(seconds=30), 3.0, '{"a": "1"}'),
        Point("raw", start + timedelta(seconds=10, microseconds=1999), 2.0, '{"a": "1"}'),
        Point("raw", start, 1.0, '{"a": "1"}'),
        Point("raw", start - timedelta(seconds=1), 0.0, '{"a": "1"}'),  # before start
        Point("raw", start + timedelta(seconds=60), 9.0, '{"a": "1"}'),  # at end: excluded
        Point("raw", start + timedelta(seconds=5), -1.5, '{"a": "2"}'),
        Point("raw", start + timedelta(seconds=90), 7.0, '{"a": "3"}'),  # only outside
    ]
    cache = SeriesIdCache()
    connection = await asyncpg.connect(migrated_database_url)
    try:
        written = await write_points(connection, PROJECT, points, cache)
        ids = {tags: series for (_, tags), series in written.series.items()}
        found = await read_raw_samples(
            connection, list(ids.values()), start, start + timedelta(seconds=60)
        )
        nothing = await read_raw_samples(connection, [], start, start + timedelta(seconds=60))
    finally:
        await connection.close()

    origin = int(start.timestamp() * 1000)
    assert found == {
        ids['{"a": "1"}']: ([origin, origin + 10_001, origin + 30_000], [1.0, 2.0, 3.0]),
        ids['{"a": "2"}']: ([origin + 5_000], [-1.5]),
    }
    assert nothing == {}
