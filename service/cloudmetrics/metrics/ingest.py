"""Writing a validated batch: metric names upserted, points COPYed, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence

from cloudmetrics.database import Connection
from cloudmetrics.metrics.models import Point

_KNOWN = "SELECT name, id FROM metrics WHERE name = ANY($1::text[])"
# Names arrive sorted, so concurrent batches that create the same new names lock them in the
# same order and cannot deadlock.
_CREATE = """
INSERT INTO metrics (name) SELECT unnest($1::text[])
ON CONFLICT (name) DO NOTHING
RETURNING name, id
"""
POINT_COLUMNS = ("metric_id", "ts", "value", "tags")


async def write_points(connection: Connection, points: Sequence[Point]) -> list[str]:
    """Write every point or none; return the metric names this batch created."""
    names = sorted({point.name for point in points})
    async with connection.transaction():
        ids = await _metric_ids(connection, names)
        missing = [name for name in names if name not in ids]
        created: list[str] = []
        if missing:
            for row in await connection.fetch(_CREATE, missing):
                ids[row["name"]] = row["id"]
                created.append(row["name"])
            # A concurrent batch may have created some of them after our statement's snapshot;
            # its rows are committed now (ON CONFLICT waited for them), so a new read sees them.
            if len(ids) < len(names):
                ids.update(await _metric_ids(connection, [n for n in names if n not in ids]))
        await connection.copy_records_to_table(
            "points",
            records=[
                (ids[point.name], point.timestamp, point.value, point.tags_json) for point in points
            ],
            columns=POINT_COLUMNS,
        )
    return created


async def _metric_ids(connection: Connection, names: Sequence[str]) -> dict[str, int]:
    rows = await connection.fetch(_KNOWN, names)
    return {row["name"]: row["id"] for row in rows}
