"""The SQL of the metrics domain, against `metrics`, `series`, the raw points and the rollups.

Raw points are read through `samples_between` (migration 0023), which knows where they are
stored (packed blocks, recent chunks, old rows)."""

from __future__ import annotations

from datetime import datetime

from cloudmetrics.database import Connection
from cloudmetrics.metrics.models import (
    Aggregate,
    MetricSummary,
    SeriesGroup,
    SeriesPoint,
    TagValues,
)
from cloudmetrics.metrics.resolution import Resolution
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

# Only these fragments ever reach the SQL text; `agg` is checked against them first. They combine
# per-bucket partial aggregates (count, sum, min, max), whichever resolution those came from:
# avg is the total sum over the total count, exactly as avg() over the points computes it.
_AGGREGATES: dict[Aggregate, str] = {
    "avg": "sum(part.sum) / sum(part.count)::double precision",
    "min": "min(part.min)",
    "max": "max(part.max)",
    "sum": "sum(part.sum)",
    "count": "sum(part.count)::double precision",
}

# Tag filters select series first (`tags @> $5` uses the dictionary's GIN index, and is always
# true for the empty object); buckets are aligned on the query's start. Rollup rows answer
# [start, rollup_end) and raw points the rest (resolution.py); with no rollup table the first
# part is left out and raw points answer all of [start, end).
_CHOSEN = "SELECT id FROM series WHERE metric_id = $1 AND tags @> $5::jsonb"
_RAW_PART = """
    SELECT date_bin($2::interval, ts, $3::timestamptz) AS bucket,
        count(*) AS count, sum(value) AS sum, min(value) AS min, max(value) AS max
    FROM samples_between(ARRAY(SELECT id FROM chosen), $6, $4)
    GROUP BY 1
"""
_ROLLUP_PART = """
    SELECT date_bin($2::interval, bucket, $3::timestamptz) AS bucket,
        sum(count) AS count, sum(sum) AS sum, min(min) AS min, max(max) AS max
    FROM {table}
    WHERE series_id IN (SELECT id FROM chosen) AND bucket >= $3 AND bucket < $6
    GROUP BY 1
"""
_SERIES = """
WITH chosen AS ({chosen}),
part AS ({parts})
SELECT part.bucket, {aggregate} AS value
FROM part
GROUP BY part.bucket
ORDER BY part.bucket
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


async def series(
    connection: Connection, metric: int, query: SeriesQuery, resolution: Resolution
) -> list[SeriesPoint]:
    """The query's buckets, from ``resolution``'s rollups and the raw points after them."""
    parts = _RAW_PART
    if resolution.table is not None:
        parts = _ROLLUP_PART.format(table=resolution.table) + "    UNION ALL" + _RAW_PART
    sql = _SERIES.format(chosen=_CHOSEN, parts=parts, aggregate=_AGGREGATES[query.agg])
    rows = await connection.fetch(
        sql,
        metric,
        query.step,
        query.start,
        query.end,
        query.tags_json,
        resolution.rollup_end(query),
    )
    return [_point(row["bucket"], row["value"]) for row in rows]


def _point(bucket: datetime, value: float) -> SeriesPoint:
    return SeriesPoint(timestamp=bucket, value=value)


# The same parts, per value of one tag ($7): series carry their group from the dictionary.
_GROUP_CHOSEN = (
    "SELECT id, tags ->> $7::text AS grp FROM series WHERE metric_id = $1 AND tags @> $5::jsonb"
)
_GROUP_COUNT = "SELECT count(DISTINCT tags ->> $3::text) + bool_or(NOT tags ? $3::text)::int " + (
    "FROM series WHERE metric_id = $1 AND tags @> $2::jsonb"
)
_RAW_GROUP_PART = """
    SELECT chosen.grp, date_bin($2::interval, ts, $3::timestamptz) AS bucket,
        count(*) AS count, sum(value) AS sum, min(value) AS min, max(value) AS max
    FROM samples_between(ARRAY(SELECT id FROM chosen), $6, $4) AS raw
    JOIN chosen ON chosen.id = raw.series_id
    GROUP BY 1, 2
"""
_ROLLUP_GROUP_PART = """
    SELECT chosen.grp, date_bin($2::interval, bucket, $3::timestamptz) AS bucket,
        sum(count) AS count, sum(sum) AS sum, min(min) AS min, max(max) AS max
    FROM {table} JOIN chosen ON chosen.id = {table}.series_id
    WHERE bucket >= $3 AND bucket < $6
    GROUP BY 1, 2
"""
_GROUPED = """
WITH chosen AS ({chosen}),
part AS ({parts})
SELECT part.grp, part.bucket, {aggregate} AS value
FROM part
GROUP BY part.grp, part.bucket
ORDER BY part.grp NULLS LAST, part.bucket
"""
# Each key of the metric's series with its most common values first, then by name.
_TAGS = """
SELECT tag.key, tag.value, count(*) AS series
FROM series, jsonb_each_text(series.tags) AS tag
WHERE series.metric_id = $1
GROUP BY 1, 2
ORDER BY 1, 3 DESC, 2
"""


async def group_count(connection: Connection, metric: int, query: SeriesQuery, by: str) -> int:
    """How many groups a grouped query would answer (the series without the tag are one)."""
    found: int | None = await connection.fetchval(_GROUP_COUNT, metric, query.tags_json, by)
    return found or 0


async def grouped_series(
    connection: Connection, metric: int, query: SeriesQuery, resolution: Resolution, by: str
) -> list[SeriesGroup]:
    parts = _RAW_GROUP_PART
    if resolution.table is not None:
        parts = _ROLLUP_GROUP_PART.format(table=resolution.table) + "    UNION ALL" + parts
    sql = _GROUPED.format(chosen=_GROUP_CHOSEN, parts=parts, aggregate=_AGGREGATES[query.agg])
    rows = await connection.fetch(
        sql,
        metric,
        query.step,
        query.start,
        query.end,
        query.tags_json,
        resolution.rollup_end(query),
        by,
    )
    groups: dict[str | None, list[SeriesPoint]] = {}
    for row in rows:
        groups.setdefault(row["grp"], []).append(_point(row["bucket"], row["value"]))
    return [SeriesGroup(value=value, points=points) for value, points in groups.items()]


async def metric_tags(connection: Connection, metric: int, *, limit: int) -> list[TagValues]:
    """Every tag key of the metric's series, each with up to ``limit`` values."""
    values: dict[str, list[str]] = {}
    for row in await connection.fetch(_TAGS, metric):
        values.setdefault(row["key"], []).append(row["value"])
    return [
        TagValues(key=key, values=sorted(found[:limit]), truncated=len(found) > limit)
        for key, found in values.items()
    ]
