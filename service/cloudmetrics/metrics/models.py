"""What the metrics API accepts and answers, as msgspec structs (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

Aggregate = Literal["avg", "min", "max", "sum", "count"]


class RawBatch(msgspec.Struct, forbid_unknown_fields=True):
    """The ingest body before validation.

    Points stay untyped here so that each bad point is reported with its index and reason,
    instead of the decoder stopping at the first one. The documented shape is in openapi.py.
    """

    points: list[Any]


class Point(msgspec.Struct, frozen=True):
    """One validated point, ready for COPY."""

    name: str
    timestamp: datetime
    value: float
    # Already encoded as JSON text: asyncpg's jsonb codec takes text.
    tags_json: str


class PointError(msgspec.Struct, frozen=True):
    index: int
    field: str
    reason: str


class IngestResult(msgspec.Struct, rename="camel", frozen=True):
    accepted: int
    new_metrics: int
    # Points not stored because their series already had a value at their timestamp (a retried
    # batch, or a repeated point): the first value written stays.
    duplicates: int = 0


class MetricSummary(msgspec.Struct, rename="camel", frozen=True):
    name: str
    created_at: datetime


class MetricPage(msgspec.Struct, rename="camel", frozen=True):
    metrics: list[MetricSummary]
    # Pass as `cursor` to get the next page; null on the last page.
    next_cursor: str | None = None


class SeriesPoint(msgspec.Struct, frozen=True):
    # The start of the bucket.
    timestamp: datetime
    value: float


class Series(msgspec.Struct, rename="camel", frozen=True):
    metric: str
    start: datetime
    end: datetime
    step_seconds: int
    agg: Aggregate
    tags: dict[str, str]
    # Buckets without points are left out.
    points: list[SeriesPoint]


class SeriesGroup(msgspec.Struct, frozen=True):
    # The group's value of the `by` tag; null for the series that do not carry it.
    value: str | None
    points: list[SeriesPoint]


class GroupedSeries(msgspec.Struct, rename="camel", frozen=True):
    """A series query answered once per value of one tag: one line each on a chart."""

    metric: str
    start: datetime
    end: datetime
    step_seconds: int
    agg: Aggregate
    tags: dict[str, str]
    by: str
    groups: list[SeriesGroup]


class TagValues(msgspec.Struct, frozen=True):
    key: str
    # Sorted; at most the query's limit of them.
    values: list[str]
    # True when the key has more values than were listed.
    truncated: bool = False


class MetricTags(msgspec.Struct, frozen=True):
    metric: str
    tags: list[TagValues]
