"""Prometheus's label discovery: label names, a label's values, and the series a selector
picks, over the project's `metrics` and `series` (the series dictionary).

The dictionary keeps no time, so `start` and `end` are accepted and not applied: every series
the project has ever had is listed (docs/api.md). Answers past `limit` entries are cut and say
so in Prometheus's `warnings`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from cloudmetrics.database import Connection
from cloudmetrics.errors import InvalidRequest
from cloudmetrics.protocols.prometheus.label_names import label_name, metric_name
from cloudmetrics.protocols.prometheus.matchers import NAME_LABEL, Matcher, require_selective
from cloudmetrics.protocols.prometheus.series_lookup import FoundSeries, find_series

_TAG_KEYS = """
SELECT DISTINCT key
FROM series JOIN metrics ON metrics.id = series.metric_id, jsonb_object_keys(series.tags) AS key
WHERE metrics.project_id = $1
"""
_METRIC_NAMES = "SELECT name FROM metrics WHERE project_id = $1"
# Keys that read as the asked label once `.` and `-` read as `_` (label_names.py).
_TAG_VALUES = """
SELECT DISTINCT tag.value
FROM series JOIN metrics ON metrics.id = series.metric_id, jsonb_each_text(series.tags) AS tag
WHERE metrics.project_id = $1 AND translate(tag.key, '.-', '__') = $2
ORDER BY 1
LIMIT $3
"""


# Prometheus's label names: what a label in its view of our tags can be called.
_LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class Listing:
    data: list[str] = field(default_factory=list[str])
    warnings: list[str] = field(default_factory=list[str])


async def label_names(
    connection: Connection, project_id: int, selectors: Sequence[list[Matcher]], *, limit: int
) -> Listing:
    if selectors:
        found = await _selected(connection, project_id, selectors, limit)
        return _cut({name for series in found for name in series.labels}, limit)
    keys = {label_name(row["key"]) for row in await connection.fetch(_TAG_KEYS, project_id)}
    if await connection.fetchval(_METRIC_NAMES + " LIMIT 1", project_id) is not None:
        keys.add(NAME_LABEL)
    return _cut(keys, limit)


async def label_values(
    connection: Connection,
    project_id: int,
    label: str,
    selectors: Sequence[list[Matcher]],
    *,
    limit: int,
) -> Listing:
    if _LABEL_NAME.fullmatch(label) is None:
        raise InvalidRequest(f"{label[:70]!r} is not a label name ([A-Za-z_][A-Za-z0-9_]*)")
    if selectors:
        found = await _selected(connection, project_id, selectors, limit)
        return _cut({s.labels[label] for s in found if label in s.labels}, limit)
    if label == NAME_LABEL:
        rows = await connection.fetch(_METRIC_NAMES, project_id)
        return _cut({metric_name(row["name"]) for row in rows}, limit)
    rows = await connection.fetch(_TAG_VALUES, project_id, label, limit + 1)
    return _cut({row["value"] for row in rows}, limit)


async def series(
    connection: Connection, project_id: int, selectors: Sequence[list[Matcher]], *, limit: int
) -> list[dict[str, str]]:
    found = await _selected(connection, project_id, selectors, limit)
    return [s.labels for s in found]


async def _selected(
    connection: Connection, project_id: int, selectors: Sequence[list[Matcher]], limit: int
) -> list[FoundSeries]:
    """The union of what each selector picks (match[] may repeat), each series once."""
    chosen: dict[int, FoundSeries] = {}
    for matchers in selectors:
        require_selective(matchers)
        for found in await find_series(connection, project_id, matchers, limit=limit):
            chosen[found.id] = found
    return list(chosen.values())


def _cut(values: set[str], limit: int) -> Listing:
    ordered = sorted(values)
    if len(ordered) <= limit:
        return Listing(ordered)
    return Listing(ordered[:limit], [f"the answer was cut to its first {limit} entries"])
