"""Writing a validated batch in one transaction: the project's metric names upserted, series
resolved, points recorded by `record_samples` (migrations 0010 and 0023), which also keeps the
rollups exact.

One value per series and timestamp: a point already stored is left alone, so a retried batch
adds nothing (docs/adr/0016).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from cloudmetrics.database import Connection
from cloudmetrics.metrics.models import Point
from cloudmetrics.metrics.series_ids import (
    Admission,
    SeriesIdCache,
    SeriesKey,
    resolve_series,
)
from cloudmetrics.storage.partitions import WRITTEN_TABLES, ensure_partitions

_KNOWN = "SELECT name, id FROM metrics WHERE project_id = $1 AND name = ANY($2::text[])"
# Names arrive sorted, so concurrent batches that create the same new names lock them in the
# same order and cannot deadlock.
_CREATE = """
INSERT INTO metrics (project_id, name) SELECT $1, unnest($2::text[])
ON CONFLICT (project_id, name) DO NOTHING
RETURNING name, id
"""
_RECORD = "SELECT record_samples($1::bigint[], $2::timestamptz[], $3::double precision[])"


@dataclass(frozen=True, slots=True)
class Written:
    created_metrics: list[str]
    # Points stored; the rest were already stored for their series and timestamp.
    inserted: int
    # Every series id the batch used, for the cache once the transaction has committed.
    series: dict[SeriesKey, int]


async def write_points(
    connection: Connection,
    project_id: int,
    points: Sequence[Point],
    cache: SeriesIdCache,
    admission: Admission | None = None,
) -> Written:
    """Write every point or none into the project's metrics. A point in a time no partition
    covers yet (maintenance has not run for days) makes its partition first, then the batch is
    written again."""
    try:
        return await _write(connection, project_id, points, cache, admission)
    except asyncpg.CheckViolationError as error:
        if "no partition of relation" not in str(error):
            raise
    stamps = [point.timestamp for point in points]
    for table in WRITTEN_TABLES:
        await ensure_partitions(connection, table, min(stamps), max(stamps))
    return await _write(connection, project_id, points, cache, admission)


async def _write(
    connection: Connection,
    project_id: int,
    points: Sequence[Point],
    cache: SeriesIdCache,
    admission: Admission | None,
) -> Written:
    names = sorted({point.name for point in points})
    async with connection.transaction():
        metric_ids, created = await _metric_ids(connection, project_id, names)
        keys = [(metric_ids[point.name], point.tags_json) for point in points]
        series = await resolve_series(connection, cache, list(dict.fromkeys(keys)), admission)
        inserted = await connection.fetchval(
            _RECORD,
            [series[key] for key in keys],
            [point.timestamp for point in points],
            [point.value for point in points],
        )
    return Written(created_metrics=created, inserted=int(inserted), series=series)


async def _metric_ids(
    connection: Connection, project_id: int, names: Sequence[str]
) -> tuple[dict[str, int], list[str]]:
    ids = await _known(connection, project_id, names)
    missing = [name for name in names if name not in ids]
    created: list[str] = []
    if missing:
        for row in await connection.fetch(_CREATE, project_id, missing):
            ids[row["name"]] = row["id"]
            created.append(row["name"])
        # A concurrent batch may have created some of them after our statement's snapshot;
        # its rows are committed now (ON CONFLICT waited for them), so a new read sees them.
        if len(ids) < len(names):
            late = [name for name in names if name not in ids]
            ids.update(await _known(connection, project_id, late))
    return ids, created


async def _known(connection: Connection, project_id: int, names: Sequence[str]) -> dict[str, int]:
    rows = await connection.fetch(_KNOWN, project_id, names)
    return {row["name"]: row["id"] for row in rows}
