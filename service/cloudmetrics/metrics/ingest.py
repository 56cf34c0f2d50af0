"""Writing a validated batch: metric names upserted, points COPYed, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence

from cloudmetrics.database import Connection
from cloudmetrics.metrics.models import Point

_KNOWN = "SELECT name, id FROM metrics WHERE project_id = $1 AND name = ANY($2::text[])"
# Names arrive sorted, so concurrent batches that create the same new names lock them in the
# same order and cannot deadlock.
_CREATE = """
INSERT INTO metrics (project_id, name) SELECT $1, unnest($2::text[])
ON CONFLICT (project_id, name) DO NOTHING
RETURNING name, id
"""
POINT_COLUMNS = ("metric_id", "ts", "value", "tags")


async def write_points(
    connection: Connection, project_id: int, points: Sequence[Point]
) -> list[str]:
    """Write every point or none into the project's metrics; return the names it created."""
    names = sorted({point.name for point in points})
    async with connection.transaction():
        ids = await _metric_ids(connection, project_id, names)
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
                ids.update(await _metric_ids(connection, project_id, late))
        await connection.copy_records_to_table(
            "points",
            records=[
                (ids[point.name], point.timestamp, point.value, point.tags_json) for point in points
            ],
            columns=POINT_COLUMNS,
        )
    return created


async def _metric_ids(
    connection: Connection, project_id: int, names: Sequence[str]
) -> dict[str, int]:
    rows = await connection.fetch(_KNOWN, project_id, names)
    return {row["name"]: row["id"] for row in rows}
