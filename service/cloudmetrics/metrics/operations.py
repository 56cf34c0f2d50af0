"""What the metrics API does, each one function the handlers call.

Every function acts within one project, passed explicitly: the caller (the handler, from the
request's principal) decides which, and nothing below reaches outside it.
"""

from __future__ import annotations

import math

import asyncpg

from cloudmetrics.errors import InvalidRequest, NotFound
from cloudmetrics.metrics import catalogue, queries
from cloudmetrics.metrics.ingest import write_points
from cloudmetrics.metrics.models import (
    GroupedSeries,
    IngestResult,
    MetricPage,
    MetricTags,
    Point,
    Series,
)
from cloudmetrics.metrics.pagination import decode_cursor
from cloudmetrics.metrics.query_budget import query_connection
from cloudmetrics.metrics.resolution import choose_resolution
from cloudmetrics.metrics.rules import (
    NAME_PATTERN,
    PREFIX_PATTERN,
    is_metric_name,
    is_prefix,
    tag_key_problem,
)
from cloudmetrics.metrics.series_budget import SeriesAdmission
from cloudmetrics.metrics.series_params import SeriesQuery
from cloudmetrics.resources import Resources

# Lines one grouped query may draw: past it a chart is unreadable and the answer large.
MAX_GROUPS = 50
# Values listed per tag key by metric_tags.
MAX_TAG_VALUES = 100


async def ingest(resources: Resources, project_id: int, points: list[Point]) -> IngestResult:
    async with resources.connection() as connection:
        written = await write_points(
            connection,
            project_id,
            points,
            resources.series_ids,
            SeriesAdmission(resources, project_id),
        )
    resources.series_ids.add(written.series.items())
    if written.created_metrics:
        await catalogue.invalidate(resources, project_id)
    return IngestResult(
        accepted=len(points),
        new_metrics=len(written.created_metrics),
        duplicates=len(points) - written.inserted,
    )


async def list_metrics(
    resources: Resources, project_id: int, *, prefix: str, cursor: str | None, limit: int
) -> MetricPage:
    if not is_prefix(prefix):
        raise InvalidRequest(f"prefix must match {PREFIX_PATTERN}")
    after = decode_cursor(cursor)
    return await catalogue.list_page(resources, project_id, prefix=prefix, after=after, limit=limit)


async def read_series(
    resources: Resources, project_id: int, name: str, query: SeriesQuery
) -> Series:
    if not is_metric_name(name):
        raise InvalidRequest(f"metric names match {NAME_PATTERN}")
    async with query_connection(resources, project_id) as connection:
        # One index lookup on the connection the query uses anyway. Not cached: an id cached in
        # Redis would outlive a restored or recreated database and answer with another
        # metric's points.
        metric = await queries.metric_id(connection, project_id, name)
        if metric is None:
            # Another project's metric answers exactly like one that does not exist.
            raise NotFound(f"no metric is named {name!r}")
        try:
            points = await queries.series(connection, metric, query, choose_resolution(query))
        except asyncpg.NumericValueOutOfRangeError:
            points = None
    # Rollups keep a sum past double precision as an infinity (migration 0010); raw points
    # raise. Either way the client hears the same.
    if points is None or not all(math.isfinite(point.value) for point in points):
        raise InvalidRequest(
            f"the {query.agg} of some bucket overflows double precision; "
            "use a smaller step or another aggregate"
        )
    return Series(
        metric=name,
        start=query.start,
        end=query.end,
        step_seconds=int(query.step.total_seconds()),
        agg=query.agg,
        tags=query.tags,
        points=points,
    )


async def read_grouped_series(
    resources: Resources, project_id: int, name: str, query: SeriesQuery, by: str
) -> GroupedSeries:
    """The query once per value of the tag ``by`` (series without it form one more group)."""
    problem = tag_key_problem(by)
    if problem:
        raise InvalidRequest(f"invalid group-by tag: {problem}")
    if not is_metric_name(name):
        raise InvalidRequest(f"metric names match {NAME_PATTERN}")
    async with query_connection(resources, project_id) as connection:
        metric = await queries.metric_id(connection, project_id, name)
        if metric is None:
            raise NotFound(f"no metric is named {name!r}")
        count = await queries.group_count(connection, metric, query, by)
        if count > MAX_GROUPS:
            raise InvalidRequest(
                f"grouping by {by!r} makes {count} lines; at most {MAX_GROUPS} are drawn — "
                "filter by another tag first",
                extra={"groups": count, "maxGroups": MAX_GROUPS},
            )
        try:
            groups = await queries.grouped_series(
                connection, metric, query, choose_resolution(query), by
            )
        except asyncpg.NumericValueOutOfRangeError:
            groups = None
    if groups is None or not all(
        math.isfinite(point.value) for group in groups for point in group.points
    ):
        raise InvalidRequest(
            f"the {query.agg} of some bucket overflows double precision; "
            "use a smaller step or another aggregate"
        )
    return GroupedSeries(
        metric=name,
        start=query.start,
        end=query.end,
        step_seconds=int(query.step.total_seconds()),
        agg=query.agg,
        tags=query.tags,
        by=by,
        groups=groups,
    )


async def metric_tags(resources: Resources, project_id: int, name: str) -> MetricTags:
    """The tag keys of a metric's series and their values (the most common first)."""
    if not is_metric_name(name):
        raise InvalidRequest(f"metric names match {NAME_PATTERN}")
    async with query_connection(resources, project_id) as connection:
        metric = await queries.metric_id(connection, project_id, name)
        if metric is None:
            raise NotFound(f"no metric is named {name!r}")
        tags = await queries.metric_tags(connection, metric, limit=MAX_TAG_VALUES)
    return MetricTags(metric=name, tags=tags)
