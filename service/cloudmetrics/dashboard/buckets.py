"""A series as every bucket of its range, empty ones included, for the chart and the table.

The API leaves empty buckets out; a chart must show them as gaps, not draw a line across.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import msgspec

from cloudmetrics.metrics.models import Series


@dataclass(frozen=True, slots=True)
class Bucket:
    start: datetime
    value: float | None


def all_buckets(series: Series) -> list[Bucket]:
    step_seconds = series.step_seconds
    count = math.ceil((series.end - series.start).total_seconds() / step_seconds)
    values: list[float | None] = [None] * count
    origin = series.start.timestamp()
    for point in series.points:
        index = round((point.timestamp.timestamp() - origin) / step_seconds)
        if 0 <= index < count:
            values[index] = point.value
    return [
        Bucket(datetime.fromtimestamp(origin + index * step_seconds, series.start.tzinfo), value)
        for index, value in enumerate(values)
    ]


def chart_island(series: Series, buckets: list[Bucket]) -> str:
    """The JSON the client script charts (epoch seconds, values with nulls for gaps).

    Embedded in a `<script type="application/json">`: `<`, `>` and `&` are escaped so that no
    value can close the element, whatever a metric is named.
    """
    document = {
        "metric": series.metric,
        "agg": series.agg,
        "stepSeconds": series.step_seconds,
        "timestamps": [int(bucket.start.timestamp()) for bucket in buckets],
        "values": [bucket.value for bucket in buckets],
    }
    text = msgspec.json.encode(document).decode()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
