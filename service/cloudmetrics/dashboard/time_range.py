"""What a metric page shows: the time range (a preset or a custom one), its step and filters.

The step is chosen from the range so that a chart holds at most TARGET_BUCKETS buckets of a
width people read easily (1m, 5m, 1h, ...), never one the API would refuse, and never narrower
than the data's own interval (`data_interval`): points sent once a minute, charted in 30-second
buckets, would be isolated dots between empty buckets instead of a line.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cloudmetrics.errors import InvalidRequest
from cloudmetrics.metrics.models import Aggregate
from cloudmetrics.metrics.series_params import SeriesQuery, parse_series_query

# Preset name -> length. The first is the default.
PRESETS: dict[str, timedelta] = {
    "1h": timedelta(hours=1),
    "15m": timedelta(minutes=15),
    "6h": timedelta(hours=6),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
DEFAULT_PRESET = "1h"
AGGREGATES: tuple[Aggregate, ...] = ("avg", "min", "max", "sum", "count")
TARGET_BUCKETS = 240
# Widths a person reads at a glance, each written as the API's step.
STEPS: tuple[tuple[str, timedelta], ...] = tuple(
    (label, timedelta(seconds=seconds))
    for label, seconds in (
        ("10s", 10),
        ("30s", 30),
        ("1m", 60),
        ("5m", 300),
        ("10m", 600),
        ("15m", 900),
        ("30m", 1800),
        ("1h", 3600),
        ("3h", 3 * 3600),
        ("6h", 6 * 3600),
        ("12h", 12 * 3600),
        ("1d", 86400),
        ("7d", 7 * 86400),
    )
)
# The `datetime-local` inputs of the custom range, read as UTC.
LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


@dataclass(frozen=True, slots=True)
class MetricView:
    preset: str | None  # None for a custom range
    step_label: str
    query: SeriesQuery

    @property
    def start_input(self) -> str:
        return self.query.start.strftime(LOCAL_INPUT_FORMAT)

    @property
    def end_input(self) -> str:
        return self.query.end.strftime(LOCAL_INPUT_FORMAT)

    @property
    def tag_filters(self) -> list[str]:
        return [f"{key}:{value}" for key, value in self.query.tags.items()]


def choose_step(length: timedelta, at_least: timedelta = timedelta(0)) -> tuple[str, timedelta]:
    """The narrowest readable step, no narrower than ``at_least``, that keeps the range within
    TARGET_BUCKETS buckets."""
    for label, step in STEPS:
        if step >= at_least and math.ceil(length / step) <= TARGET_BUCKETS:
            return label, step
    return STEPS[-1]


def data_interval(filled: Sequence[Sequence[bool]], step: timedelta) -> timedelta:
    """The data's own interval, read from one query's buckets (per line, which hold a value):
    the median distance between neighbouring filled buckets. Zero when a line has too few
    values to tell, or when the data is as dense as the step."""
    gaps = sorted(
        later - earlier
        for line in filled
        for earlier, later in itertools.pairwise(i for i, full in enumerate(line) if full)
    )
    if len(gaps) < 2:
        return timedelta(0)
    return step * gaps[len(gaps) // 2] if gaps[len(gaps) // 2] > 1 else timedelta(0)


def parse_view(
    *,
    preset: str | None,
    start: str | None,
    end: str | None,
    agg: str | None,
    tags: Sequence[str],
    max_buckets: int,
    max_tags: int,
    now: datetime | None = None,
    at_least: timedelta = timedelta(0),
) -> MetricView:
    """Read a metric page's query string; InvalidRequest names what is wrong. The step is never
    narrower than ``at_least`` (the data's interval, once a first query has shown it)."""
    aggregate = agg or "avg"
    if aggregate not in AGGREGATES:
        raise InvalidRequest(f"aggregation must be one of {', '.join(AGGREGATES)}")
    if start or end:
        if not (start and end):
            raise InvalidRequest("a custom range needs both a start and an end")
        range_start, range_end = _local_input("start", start), _local_input("end", end)
        chosen = None
    else:
        chosen = preset or DEFAULT_PRESET
        if chosen not in PRESETS:
            raise InvalidRequest(f"range must be one of {', '.join(PRESETS)} or a custom range")
        length = PRESETS[chosen]
        step = choose_step(length, at_least)[1]
        # End on the next step boundary so buckets line up with round times and the newest
        # bucket includes the last point.
        moment = now or datetime.now(UTC)
        epoch_seconds = math.ceil(moment.timestamp() / step.total_seconds()) * step
        range_end = datetime(1970, 1, 1, tzinfo=UTC) + epoch_seconds
        range_start = range_end - length
    if range_end <= range_start:
        raise InvalidRequest("the end of the range must be after its start")
    step_label, _ = choose_step(range_end - range_start, at_least)
    query = parse_series_query(
        start=range_start,
        end=range_end,
        step=step_label,
        agg=aggregate,  # pyright: ignore[reportArgumentType]  # checked against AGGREGATES
        tag_filters=[tag for tag in tags if tag],
        max_buckets=max_buckets,
        max_tags=max_tags,
    )
    return MetricView(preset=chosen, step_label=step_label, query=query)


def _local_input(field: str, value: str) -> datetime:
    # Browsers send seconds when the input's step asks for them.
    for pattern in (LOCAL_INPUT_FORMAT, f"{LOCAL_INPUT_FORMAT}:%S"):
        try:
            return datetime.strptime(value, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise InvalidRequest(f"{field} must be a date and time like 2025-01-31T12:00 (UTC)")
