"""Checking an ingest batch point by point, so a client learns every problem at once.

The rules themselves (a name's syntax, the timestamp window, a finite value, the tags) are the
`_check_*` functions: our JSON goes through them after its type checks, and every other
protocol through `check_samples`, so no protocol has rules of its own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple, cast

import msgspec

from cloudmetrics.errors import InvalidRequest, PayloadTooLarge
from cloudmetrics.metrics.fast_validation import fast_parse
from cloudmetrics.metrics.models import Point, PointError, RawBatch
from cloudmetrics.metrics.rules import (
    NAME_PATTERN,
    is_metric_name,
    tag_key_problem,
    tag_value_problem,
)
from cloudmetrics.settings import IngestSettings

POINT_FIELDS = frozenset({"name", "timestamp", "value", "tags"})
# A response listing ten thousand errors helps nobody; the count says how many there were.
MAX_REPORTED_ERRORS = 100
_ISO = "%Y-%m-%dT%H:%M:%SZ"


class Sample(NamedTuple):
    """A point as a protocol decoded it (remote write, OTLP, line protocol), not yet checked."""

    name: str
    timestamp: datetime
    value: float
    tags: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class CheckedSamples:
    points: list[Point]
    # Each refused sample, by its index in what was checked.
    refused: list[PointError]


class _BadPoint(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def parse_batch(
    body: bytes, settings: IngestSettings, *, now: datetime | None = None
) -> list[Point]:
    """Decode and validate a whole batch; raise InvalidRequest listing every bad point."""
    moment = now or datetime.now(UTC)
    points = fast_parse(body, settings, moment)
    if points is not None:
        return points
    return parse_point_by_point(body, settings, moment)


def parse_point_by_point(body: bytes, settings: IngestSettings, moment: datetime) -> list[Point]:
    """The thorough path: every point checked on its own, every problem reported."""
    try:
        batch = msgspec.json.decode(body, type=RawBatch)
    except msgspec.DecodeError as error:
        # Also where NaN, Infinity and out-of-range numbers end: they are not JSON numbers.
        raise InvalidRequest(f"the body is not a valid batch: {error}") from None
    except UnicodeDecodeError:
        raise InvalidRequest("the body is not valid UTF-8 (RFC 8259 requires it)") from None
    except RecursionError:
        raise InvalidRequest("the body nests arrays or objects too deeply") from None
    if not batch.points:
        raise InvalidRequest("the batch holds no points")
    _check_count(len(batch.points), settings)
    earliest = moment - timedelta(seconds=settings.past_window_seconds)
    latest = moment + timedelta(seconds=settings.future_window_seconds)
    points: list[Point] = []
    errors: list[PointError] = []
    for index, raw in enumerate(batch.points):
        try:
            points.append(_parse_point(raw, settings, earliest, latest))
        except _BadPoint as bad:
            errors.append(PointError(index=index, field=bad.field, reason=bad.reason))
    if errors:
        raise InvalidRequest(
            f"{len(errors)} of {len(batch.points)} points are invalid; nothing was written",
            extra={
                "invalidPoints": len(errors),
                "errors": [msgspec.to_builtins(error) for error in errors[:MAX_REPORTED_ERRORS]],
            },
        )
    return points


def check_samples(
    samples: Sequence[Sample], settings: IngestSettings, *, now: datetime | None = None
) -> CheckedSamples:
    """The samples that pass every rule as points, and why each other one was refused.
    More samples than a batch may hold is a 413 for the whole request, as for JSON."""
    _check_count(len(samples), settings)
    moment = now or datetime.now(UTC)
    earliest = moment - timedelta(seconds=settings.past_window_seconds)
    latest = moment + timedelta(seconds=settings.future_window_seconds)
    points: list[Point] = []
    refused: list[PointError] = []
    # A protocol's samples share names and tag mappings (one per series): each distinct one is
    # checked and encoded once. Keyed by identity, valid while `samples` holds them.
    names: dict[str, _BadPoint | None] = {}
    tag_sets: dict[int, str | _BadPoint] = {}
    for index, sample in enumerate(samples):
        try:
            if sample.name not in names:
                names[sample.name] = _name_problem(sample.name)
            name_problem = names[sample.name]
            if name_problem is not None:
                raise name_problem
            tags_json = tag_sets.get(id(sample.tags))
            if tags_json is None:
                tags_json = tag_sets[id(sample.tags)] = _encoded_tags(
                    sample.tags, settings.max_tags
                )
            if isinstance(tags_json, _BadPoint):
                raise tags_json
            points.append(
                Point(
                    name=sample.name,
                    timestamp=_check_window(sample.timestamp, earliest, latest),
                    value=_check_finite(sample.value),
                    tags_json=tags_json,
                )
            )
        except _BadPoint as bad:
            refused.append(PointError(index=index, field=bad.field, reason=bad.reason))
    return CheckedSamples(points=points, refused=refused)


# The checks' outcomes as values, to be cached per distinct name and tag set.
def _name_problem(name: str) -> _BadPoint | None:
    try:
        _check_name(name)
    except _BadPoint as bad:
        return bad
    return None


def _encoded_tags(tags: Mapping[str, object], max_tags: int) -> str | _BadPoint:
    try:
        return _check_tags(tags, max_tags)
    except _BadPoint as bad:
        return bad


def _check_count(count: int, settings: IngestSettings) -> None:
    if count > settings.max_points:
        raise PayloadTooLarge(
            f"the batch holds {count} points; at most {settings.max_points} are "
            "accepted per request",
            extra={"maxPoints": settings.max_points},
        )


def _parse_point(
    raw: object, settings: IngestSettings, earliest: datetime, latest: datetime
) -> Point:
    if not isinstance(raw, dict):
        raise _BadPoint("point", "a point must be a JSON object")
    fields = cast("dict[str, object]", raw)
    unknown = sorted(set(fields) - POINT_FIELDS)
    if unknown:
        raise _BadPoint(unknown[0], f"unknown field {unknown[0][:70]!r}")
    return Point(
        name=_parse_name(fields.get("name")),
        timestamp=_parse_timestamp(fields.get("timestamp"), earliest, latest),
        value=_parse_value(fields.get("value")),
        tags_json=_parse_tags(fields.get("tags", {}), settings.max_tags),
    )


def _parse_name(raw: object) -> str:
    if raw is None:
        raise _BadPoint("name", "name is required")
    if not isinstance(raw, str):
        raise _BadPoint("name", f"name must be a string matching {NAME_PATTERN}")
    return _check_name(raw)


def _check_name(name: str) -> str:
    if not is_metric_name(name):
        raise _BadPoint("name", f"name must be a string matching {NAME_PATTERN}")
    return name


def _parse_timestamp(raw: object, earliest: datetime, latest: datetime) -> datetime:
    if raw is None:
        raise _BadPoint("timestamp", "timestamp is required")
    expected = "timestamp must be an RFC 3339 string with a UTC offset, e.g. 2025-01-31T12:00:00Z"
    if not isinstance(raw, str):
        raise _BadPoint("timestamp", expected)
    try:
        parsed = msgspec.convert(raw, datetime)
        if parsed.tzinfo is None:
            raise _BadPoint("timestamp", expected)
        timestamp = parsed.astimezone(UTC)
    except (msgspec.ValidationError, OverflowError):
        raise _BadPoint("timestamp", expected) from None
    return _check_window(timestamp, earliest, latest)


def _check_window(timestamp: datetime, earliest: datetime, latest: datetime) -> datetime:
    if timestamp < earliest:
        raise _BadPoint("timestamp", f"timestamp is before the window (>= {earliest:{_ISO}})")
    if timestamp > latest:
        raise _BadPoint("timestamp", f"timestamp is after the window (<= {latest:{_ISO}})")
    return timestamp


def _parse_value(raw: object) -> float:
    if raw is None:
        raise _BadPoint("value", "value is required")
    # bool is an int in Python but not a number in JSON.
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise _BadPoint("value", "value must be a JSON number; NaN and infinities are not accepted")
    try:
        value = float(raw)
    except OverflowError:
        value = math.inf
    return _check_finite(value)


def _check_finite(value: float) -> float:
    if not math.isfinite(value):
        raise _BadPoint("value", "value must be finite (within double precision)")
    return value


def _parse_tags(raw: object, max_tags: int) -> str:
    if not isinstance(raw, dict):
        raise _BadPoint("tags", "tags must be an object of string keys to string values")
    return _check_tags(cast("Mapping[str, object]", raw), max_tags)


def _check_tags(tags: Mapping[str, object], max_tags: int) -> str:
    if len(tags) > max_tags:
        raise _BadPoint("tags", f"at most {max_tags} tags are accepted per point")
    for key, value in tags.items():
        problem = tag_key_problem(key) or tag_value_problem(key, value)
        if problem:
            raise _BadPoint("tags", problem)
    return msgspec.json.encode(tags).decode()
