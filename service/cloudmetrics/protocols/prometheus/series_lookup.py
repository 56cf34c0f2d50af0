"""Which of a project's series a set of label matchers selects, over `metrics` and `series`.

Metric names are narrowed in SQL when `__name__` is matched exactly (the common case: every
PromQL selector with a metric name), otherwise over the project's names; the series of the
chosen metrics are then matched in Python on their Prometheus view (label_names.py), which
keeps Prometheus's semantics exact. Both steps are bounded: past `limit` series the request is
refused with a 400 that says to narrow the selector, never answered half.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from cloudmetrics.database import Connection
from cloudmetrics.errors import InvalidRequest
from cloudmetrics.metrics.rules import is_metric_name
from cloudmetrics.protocols.prometheus.label_names import labels_of, metric_name
from cloudmetrics.protocols.prometheus.matchers import NAME_LABEL, Matcher, select

# An exact name, or a name that reads as it once `.` and `-` read as `_`.
_METRICS_NAMED = """
SELECT id, name FROM metrics
WHERE project_id = $1
    AND (name = $2 OR (strpos($2, '_') > 0 AND translate(name, '.-', '__') = $2))
"""
_ALL_METRICS = "SELECT id, name FROM metrics WHERE project_id = $1"
_SERIES_OF = """
SELECT id, metric_id, tags::text AS tags FROM series
WHERE metric_id = ANY($1::bigint[])
LIMIT $2
"""

_tags_decoder = msgspec.json.Decoder(dict[str, str])


@dataclass(frozen=True, slots=True)
class FoundSeries:
    id: int
    labels: dict[str, str]


async def find_series(
    connection: Connection, project_id: int, matchers: Sequence[Matcher], *, limit: int
) -> list[FoundSeries]:
    names = [m for m in matchers if m.label == NAME_LABEL]
    others = [m for m in matchers if m.label != NAME_LABEL]
    exact = next((m.value for m in names if m.operator == "=" and m.value), None)
    if exact is not None and not is_metric_name(exact):
        # No metric has (or reads as) a name outside our names' syntax.
        return []
    if exact:
        rows = await connection.fetch(_METRICS_NAMED, project_id, exact)
    else:
        rows = await connection.fetch(_ALL_METRICS, project_id)
    metrics = {
        row["id"]: row["name"]
        for row in rows
        if all(m.matches(metric_name(row["name"])) for m in names)
    }
    if not metrics:
        return []
    # One row more than the limit tells that the limit was passed.
    scan = limit * 10
    series_rows = await connection.fetch(_SERIES_OF, list(metrics), scan + 1)
    if len(series_rows) > scan:
        raise _too_many(limit)
    found: list[FoundSeries] = []
    for row in series_rows:
        labels = labels_of(metrics[row["metric_id"]], _tags_decoder.decode(row["tags"]))
        if select(others, labels):
            found.append(FoundSeries(row["id"], labels))
            if len(found) > limit:
                raise _too_many(limit)
    return found


def _too_many(limit: int) -> InvalidRequest:
    return InvalidRequest(
        f"the selector matches more than {limit} series; narrow it with more matchers",
        extra={"maxSeries": limit},
    )
