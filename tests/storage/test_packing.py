"""Packing (storage/packing.py): closed hours become one block per series, nothing else changes.

Points are written through the ingest path into chunks; after packing, every read answers the
same, the hour's chunks are gone, its block holds the points delta-encoded to the microsecond,
and an hour still open is left as it is.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from cloudmetrics.metrics.ingest import write_points
from cloudmetrics.metrics.models import Point
from cloudmetrics.metrics.series_ids import SeriesIdCache
from cloudmetrics.storage.packing import pack_closed_windows, reclaim_emptied_chunks
from cloudmetrics.storage.samples import read_raw_samples

PROJECT = 1


async def test_closed_hours_pack_into_one_block_and_read_the_same(
    migrated_database_url: str,
) -> None:
    now = datetime.now(UTC)
    hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    points = [
        # Three batches into one closed hour, out of order, one with microseconds.
        [Point("packed", hour + timedelta(minutes=30), 3.0, "{}")],
        [Point("packed", hour + timedelta(seconds=1, microseconds=7), 1.5, "{}")],
        [
            Point("packed", hour + timedelta(minutes=59, seconds=59), -2.0, "{}"),
            Point("packed", hour + timedelta(hours=1, minutes=5), 4.0, "{}"),  # next hour
            Point("packed", now, 5.0, "{}"),  # the open hour: not packed
        ],
    ]
    cache = SeriesIdCache()
    connection = await asyncpg.connect(migrated_database_url)
    try:
        series = 0
        for batch in points:
            written = await write_points(connection, PROJECT, batch, cache)
            cache.add(written.series.items())
            series = next(iter(written.series.values()))
        window = (hour - timedelta(hours=1), now + timedelta(seconds=1))
        before = await read_raw_samples(connection, [series], *window)
        rollups = await connection.fetch("SELECT * FROM rollups_1m ORDER BY bucket")

        packed = await pack_closed_windows(connection, now)

        after = await read_raw_samples(connection, [series], *window)
        chunks = await connection.fetch("SELECT window_start FROM sample_chunks")
        block = await connection.fetchrow(
            "SELECT deltas, point_values, newest FROM sample_blocks WHERE window_start = $1",
            hour,
        )
        rollups_after = await connection.fetch("SELECT * FROM rollups_1m ORDER BY bucket")
        again = await pack_closed_windows(connection, now)
    finally:
        await connection.close()

    assert packed == 2
    assert after == before
    assert [row["window_start"] for row in chunks] == [
        now.replace(minute=0, second=0, microsecond=0)
    ]
    assert block is not None
    assert list(block["deltas"]) == [
        1_000_007,
        30 * 60_000_000 - 1_000_007,
        29 * 60_000_000 + 59_000_000,
    ]
    assert list(block["point_values"]) == [1.5, 3.0, -2.0]
    assert block["newest"] == hour + timedelta(minutes=59, seconds=59)
    assert rollups_after == rollups
    assert again == 0


async def test_a_chunk_partition_emptied_by_packing_is_truncated(
    migrated_database_url: str,
) -> None:
    moment = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    day = f"sample_chunks_p{moment:%Y%m%d}"
    connection = await asyncpg.connect(migrated_database_url)
    try:
        await write_points(
            connection, PROJECT, [Point("emptied", moment, 1.0, "{}")], SeriesIdCache()
        )
        untouched = await reclaim_emptied_chunks(connection, at_bytes=1)
        await pack_closed_windows(connection, datetime.now(UTC))
        reclaimed = await reclaim_emptied_chunks(connection, at_bytes=1)
        size = await connection.fetchval("SELECT pg_total_relation_size($1::regclass)", day)
        stored = await connection.fetchval("SELECT count(*) FROM samples")
    finally:
        await connection.close()

    assert day not in untouched
    assert day in reclaimed
    assert stored == 1
    # Heap and TOAST at zero; what is left is the empty indexes' first pages.
    assert size <= 3 * 8192
