"""A query reads the coarsest rollup whose rows fit its buckets, and raw points after them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from cloudmetrics.metrics import queries
from cloudmetrics.metrics.ingest import write_points
from cloudmetrics.metrics.models import Point
from cloudmetrics.metrics.resolution import HOUR, MINUTE, RAW, Resolution, choose_resolution
from cloudmetrics.metrics.series_ids import SeriesIdCache
from cloudmetrics.metrics.series_params import SeriesQuery

# The project migration 0002 creates for the metrics that predate projects.
PROJECT = 1

HOUR_MARK = datetime(2031, 1, 1, 10, tzinfo=UTC)


def query(start: datetime, step_seconds: int, end: datetime | None = None) -> SeriesQuery:
    return SeriesQuery(
        start=start,
        end=end or start + timedelta(days=1),
        step=timedelta(seconds=step_seconds),
        agg="avg",
        tags={},
    )


@pytest.mark.parametrize(
    ("start", "step", "expected"),
    [
        (HOUR_MARK, 3600, HOUR),
        (HOUR_MARK, 86400, HOUR),
        (HOUR_MARK, 1800, MINUTE),  # hour rows would straddle half-hour buckets
        (HOUR_MARK + timedelta(minutes=5), 3600, MINUTE),  # start off the hour
        (HOUR_MARK + timedelta(seconds=5), 3600, RAW),  # off the minute
        (HOUR_MARK, 90, RAW),
        (HOUR_MARK, 30, RAW),
    ],
)
def test_the_coarsest_fitting_resolution_is_chosen(
    start: datetime, step: int, expected: Resolution
) -> None:
    assert choose_resolution(query(start, step)) == expected


def test_rollups_stop_at_the_last_whole_row_before_end() -> None:
    ending = HOUR_MARK + timedelta(hours=5, minutes=7, seconds=3)
    assert HOUR.rollup_end(query(HOUR_MARK, 3600, ending)) == HOUR_MARK + timedelta(hours=5)
    assert MINUTE.rollup_end(query(HOUR_MARK, 60, ending)) == ending - timedelta(seconds=3)
    assert RAW.rollup_end(query(HOUR_MARK, 60, ending)) == HOUR_MARK


async def test_hourly_answers_come_from_rollups_and_the_tail_from_points(
    migrated_database_url: str,
) -> None:
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=5)
    end = start + timedelta(hours=3, minutes=30)
    points = [
        Point("rolled", start + timedelta(minutes=minute), float(minute), "{}")
        for minute in range(0, 240, 7)
    ]
    weekly = SeriesQuery(start=start, end=end, step=timedelta(hours=1), agg="sum", tags={})
    connection = await asyncpg.connect(migrated_database_url)
    try:
        await write_points(connection, PROJECT, points, SeriesIdCache())
        metric = await queries.metric_id(connection, PROJECT, "rolled")
        assert metric is not None
        before = await queries.series(connection, metric, weekly, HOUR)
        # Behind the rollups' back: the raw points they summarise disappear (whole hours of
        # them, as stored).
        for statement in (
            "DELETE FROM sample_chunks WHERE window_start < $1",
            "DELETE FROM sample_blocks WHERE window_start < $1",
        ):
            await connection.execute(statement, start + timedelta(hours=3))
        after = await queries.series(connection, metric, weekly, HOUR)
        raw_after = await queries.series(connection, metric, weekly, RAW)
    finally:
        await connection.close()

    assert [p.value for p in before] == [
        float(sum(m for m in range(0, 240, 7) if hour * 60 <= m < min(hour * 60 + 60, 210)))
        for hour in range(4)
    ]
    assert after == before
    # Only the raw tail (the last half hour) is left in points.
    assert [p.value for p in raw_after] == [before[-1].value]
