"""Checking a series query's window, step and tag filters before any SQL runs."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import msgspec

from cloudmetrics.errors import InvalidRequest
from cloudmetrics.metrics.models import Aggregate
from cloudmetrics.metrics.rules import tag_key_problem, tag_value_problem

# `90s`, `5m`, `1h`, `7d`; six digits at most keeps every step inside datetime's range.
STEP_PATTERN = r"^[1-9][0-9]{0,5}[smhd]$"
_STEP = re.compile(STEP_PATTERN)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class SeriesQuery:
    start: datetime
    end: datetime
    step: timedelta
    agg: Aggregate
    tags: dict[str, str]

    @property
    def tags_json(self) -> str:
        return msgspec.json.encode(self.tags).decode()


# Python's datetime.min/max reach PostgreSQL as -infinity/infinity, which date_bin cannot bucket.
# Points older than the epoch or beyond year 9999 are not a metrics platform's business.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)


def parse_series_query(
    *,
    start: datetime,
    end: datetime,
    step: str,
    agg: Aggregate,
    tag_filters: Sequence[str],
    max_buckets: int,
    max_tags: int,
) -> SeriesQuery:
    start_utc = _utc("start", start)
    end_utc = _utc("end", end)
    for label, moment in (("start", start_utc), ("end", end_utc)):
        if not EARLIEST <= moment <= LATEST:
            raise InvalidRequest(
                f"{label} must lie between {EARLIEST.isoformat()} and {LATEST.isoformat()}"
            )
    if end_utc <= start_utc:
        raise InvalidRequest("end must be after start")
    step_delta = parse_step(step)
    buckets = math.ceil((end_utc - start_utc) / step_delta)
    if buckets > max_buckets:
        raise InvalidRequest(
            f"the query spans {buckets} buckets of {step}; at most {max_buckets} are answered — "
            "use a larger step or a shorter window",
            extra={"buckets": buckets, "maxBuckets": max_buckets},
        )
    tags = parse_tag_filters(tag_filters, max_tags)
    return SeriesQuery(start_utc, end_utc, step_delta, agg, tags)


def parse_step(step: str) -> timedelta:
    if _STEP.fullmatch(step) is None:
        raise InvalidRequest(f"step must match {STEP_PATTERN}, e.g. 60s, 5m, 1h or 1d")
    return timedelta(seconds=int(step[:-1]) * _UNIT_SECONDS[step[-1]])


def parse_tag_filters(filters: Sequence[str], max_tags: int) -> dict[str, str]:
    """`key:value` filters, all of which a point's tags must contain."""
    if len(filters) > max_tags:
        raise InvalidRequest(f"at most {max_tags} tag filters are accepted")
    tags: dict[str, str] = {}
    for item in filters:
        key, separator, value = item.partition(":")
        problem = (
            "a tag filter is written key:value"
            if not separator
            else tag_key_problem(key) or tag_value_problem(key, value)
        )
        if problem:
            raise InvalidRequest(f"invalid tag filter: {problem}")
        if key in tags:
            raise InvalidRequest(f"tag {key!r} is filtered twice; a point has one value per tag")
        tags[key] = value
    return tags


def _utc(field: str, moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise InvalidRequest(f"{field} must carry a UTC offset, e.g. 2025-01-31T12:00:00Z")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise InvalidRequest(f"{field} is out of range") from None
