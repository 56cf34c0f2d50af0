"""Series as every bucket of their range, empty ones included, for the chart and the table.

The API leaves empty buckets out; a chart must show them as gaps, not draw a line across. A
metric page draws one line, or one per value of a group-by tag; each line's buckets share one
range and step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import msgspec

from cloudmetrics.metrics.models import GroupedSeries, Series, SeriesPoint


@dataclass(frozen=True, slots=True)
class Bucket:
    start: datetime
    value: float | None


@dataclass(frozen=True, slots=True)
class Line:
    # What the legend calls the line: the metric itself, or `tag=value` of its group.
    label: str
    buckets: list[Bucket]

    @property
    def filled(self) -> int:
        return sum(bucket.value is not None for bucket in self.buckets)


def lines_of(answer: Series | GroupedSeries) -> list[Line]:
    if isinstance(answer, Series):
        return [Line(answer.metric, _buckets(answer, answer.points))]
    return [
        Line(
            f"{answer.by}={group.value}" if group.value is not None else f"no {answer.by}",
            _buckets(answer, group.points),
        )
        for group in answer.groups
    ]


def _buckets(answer: Series | GroupedSeries, points: list[SeriesPoint]) -> list[Bucket]:
    step_seconds = answer.step_seconds
    count = math.ceil((answer.end - answer.start).total_seconds() / step_seconds)
    values: list[float | None] = [None] * count
    origin = answer.start.timestamp()
    for point in points:
        index = round((point.timestamp.timestamp() - origin) / step_seconds)
        if 0 <= index < count:
            values[index] = point.value
    return [
        Bucket(datetime.fromtimestamp(origin + index * step_seconds, answer.start.tzinfo), value)
        for index, value in enumerate(values)
    ]


def chart_island(answer: Series | GroupedSeries, lines: list[Line]) -> str:
    """The JSON the client script charts (epoch seconds; per line, values with nulls for gaps).

    Embedded in a `<script type="application/json">`: `<`, `>` and `&` are escaped so that no
    value can close the element, whatever a metric or a tag value is named.
    """
    document = {
        "metric": answer.metric,
        "agg": answer.agg,
        "stepSeconds": answer.step_seconds,
        "timestamps": [int(bucket.start.timestamp()) for bucket in lines[0].buckets]
        if lines
        else [],
        "lines": [
            {"label": line.label, "values": [bucket.value for bucket in line.buckets]}
            for line in lines
        ],
    }
    text = msgspec.json.encode(document).decode()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
