"""The SQL of the metrics domain, against the `metrics` and `points` tables."""

from __future__ import annotations

from datetime import datetime

from cloudmetrics.database import Connection
from cloudmetrics.metrics.models import Aggregate, MetricSummary, SeriesPoint
from cloudmetrics.metrics.series_params import SeriesQuery

# Keyset pagination on the unique index of (project_id, name). starts_with() and `>` compare in
# the database's collation, the same one ORDER BY uses, so pages neither skip nor repeat names.
# `name >= $2` lets the index start at the prefix instead of scanning every name before it.
_LIST = """
SELECT name, created_at FROM metrics
WHERE project_id = $1 AND starts_with(name, $2) AND name >= $2 AND name > $3
ORDER BY name
LIMIT $4
"""

_METRIC_ID = "SELECT id FROM metrics WHERE project_id = $1 AND name = $2"

# Only these fragments ever reach the SQL text; `agg` is checked against them first.
_AGGREGATES: dict[Aggregate, str] = {
    "avg": "avg(value)",
    "min": "min(value)",
    "max": "max(value)",
    "sum": "sum(value)",
    "count": "count(*)::double precision",
}

# Buckets are aligned on the query's start. `tags @> $5` uses the GIN (jsonb_path_ops) index and
# is always true for the empty object, so one statement serves filtered and unfiltered queries.
_SERIES = """
SELECT date_bin($2::interval, ts, $3::timestamptz) AS bucket, {aggregate} AS value
FROM points
WHERE metric_id = $1 AND ts >= $3 AND ts < $4 AND tags @> $5::jsonb
GROUP BY bucket
ORDER BY bucket
"""


async def list_metrics(
    connection: Connection, project_id: int, *, prefix: str, after: str, limit: int
) -> list[MetricSummary]:
    rows = await connection.fetch(_LIST, project_id, prefix, after, limit)
    return [MetricSummary(name=row["name"], created_at=row["created_at"]) for row in rows]


async def metric_id(connection: Connection, project_id: int, name: str) -> int | None:
    """The id of the project's metric called ``name``; another project's metric is None."""
    found: int | None = await connection.fetchval(_METRIC_ID, project_id, name)
    return found


async def series(connection: Connection, metric: int, query: SeriesQuery) -> list[SeriesPoint]:
    sql = _SERIES.format(aggregate=_AGGREGATES[query.agg])
    rows = await connection.fetch(sql, metric, query.step, query.start, query.end, query.tags_json)
    return [_point(row["bucket"], row["value"]) for row in rows]


def _point(bucket: datetime, value: float) -> SeriesPoint:
    return SeriesPoint(timestamp=bucket, value=value)
