"""The fast path of ingest validation: one typed msgspec decode for a batch that is all good.

Checking points one by one in Python (validation.py) costs more than writing them. A clean
batch is instead decoded straight into typed structs, whose constraints msgspec checks in C,
and only what msgspec cannot express is checked afterwards. Any problem at all sends the batch
down the thorough path, which alone words the errors; so the two must accept exactly the same
batches, and tests/api check each rule through the API.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Annotated

import msgspec

from cloudmetrics.errors import PayloadTooLarge
from cloudmetrics.metrics.models import Point
from cloudmetrics.metrics.rules import TAG_VALUE_MAX_LENGTH, is_metric_name, tag_key_problem
from cloudmetrics.settings import IngestSettings

_TagValue = Annotated[str, msgspec.Meta(min_length=1, max_length=TAG_VALUE_MAX_LENGTH)]


class _TypedPoint(msgspec.Struct, forbid_unknown_fields=True):
    # Names and tag keys repeat across a batch, so their syntax is checked once per distinct
    # value below rather than once per point by the decoder.
    name: str
    timestamp: Annotated[datetime, msgspec.Meta(tz=True)]
    value: float
    tags: dict[str, _TagValue] = {}  # msgspec copies empty defaults per instance


class _TypedBatch(msgspec.Struct, forbid_unknown_fields=True):
    points: Annotated[list[_TypedPoint], msgspec.Meta(min_length=1)]


_decoder = msgspec.json.Decoder(_TypedBatch)

# What msgspec raises for a body that is not JSON at all: malformed text, bytes that are not
# UTF-8 (UnicodeDecodeError, not a DecodeError), and nesting deeper than its recursion limit
# (RecursionError). Every one of them is the client's mistake, never a server error.
UNDECODABLE = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)
_encode = msgspec.json.encode


def fast_parse(body: bytes, settings: IngestSettings, now: datetime) -> list[Point] | None:
    """The batch's points if every one is valid; None if any is not (or the body is not a
    batch); PayloadTooLarge if it holds too many."""
    try:
        batch = _decoder.decode(body)
    except UNDECODABLE:
        return None
    if len(batch.points) > settings.max_points:
        raise PayloadTooLarge(
            f"the batch holds {len(batch.points)} points; at most {settings.max_points} are "
            "accepted per request",
            extra={"maxPoints": settings.max_points},
        )
    if not all(is_metric_name(name) for name in {point.name for point in batch.points}):
        return None
    keys = set[str]().union(*(point.tags for point in batch.points))
    if any(tag_key_problem(key) for key in keys):
        return None
    # NUL can only arrive escaped; such a batch goes the thorough way.
    if b"\\u0000" in body:
        return None
    points = batch.points
    if max(len(point.tags) for point in points) > settings.max_tags:
        return None
    stamps = [point.timestamp for point in points]
    earliest = now - timedelta(seconds=settings.past_window_seconds)
    latest = now + timedelta(seconds=settings.future_window_seconds)
    if min(stamps) < earliest or max(stamps) > latest:
        return None
    if not all(map(math.isfinite, [point.value for point in points])):
        return None
    return [
        Point(point.name, point.timestamp, point.value, _encode(point.tags).decode())
        for point in points
    ]
