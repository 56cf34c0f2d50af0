"""Metric metadata (type, help, unit) per project and family name (migration 0019).

Protocols repeat the same metadata constantly (Prometheus every minute, OTLP with every
request), so a row is only written when something in it changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cloudmetrics.database import Connection
from cloudmetrics.metrics.rules import is_metric_name

METRIC_TYPES = frozenset(
    {"unknown", "counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset"}
)
MAX_HELP_LENGTH = 4096
MAX_UNIT_LENGTH = 100

# Sorted, so concurrent requests lock rows in the same order.
_UPSERT = """
INSERT INTO metric_metadata AS m (project_id, name, type, help, unit)
SELECT $1, name, type, help, unit
FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS given (name, type, help, unit)
ORDER BY name
ON CONFLICT (project_id, name) DO UPDATE
SET type = excluded.type, help = excluded.help, unit = excluded.unit, updated_at = now()
WHERE (m.type, m.help, m.unit) IS DISTINCT FROM (excluded.type, excluded.help, excluded.unit)
"""
_READ = """
SELECT name, type, help, unit FROM metric_metadata
WHERE project_id = $1 AND ($2::text IS NULL OR name = $2)
ORDER BY name
LIMIT $3
"""


@dataclass(frozen=True, slots=True)
class Metadata:
    name: str
    type: str
    help: str = ""
    unit: str = ""


def usable(entries: Sequence[Metadata]) -> list[Metadata]:
    """Entries whose name could be a metric's, each name once (the last given wins), their
    texts cut to what the table holds."""
    kept: dict[str, Metadata] = {}
    for entry in entries:
        if not is_metric_name(entry.name):
            continue
        kind = entry.type if entry.type in METRIC_TYPES else "unknown"
        kept[entry.name] = Metadata(
            entry.name,
            kind,
            _text(entry.help, MAX_HELP_LENGTH),
            _text(entry.unit, MAX_UNIT_LENGTH),
        )
    return list(kept.values())


async def record_metadata(
    connection: Connection, project_id: int, entries: Sequence[Metadata]
) -> None:
    chosen = usable(entries)
    if not chosen:
        return
    await connection.execute(
        _UPSERT,
        project_id,
        [entry.name for entry in chosen],
        [entry.type for entry in chosen],
        [entry.help for entry in chosen],
        [entry.unit for entry in chosen],
    )


async def read_metadata(
    connection: Connection, project_id: int, *, name: str | None, limit: int
) -> list[Metadata]:
    rows = await connection.fetch(_READ, project_id, name, limit)
    return [Metadata(row["name"], row["type"], row["help"], row["unit"]) for row in rows]


def _text(value: str, limit: int) -> str:
    # PostgreSQL text cannot hold NUL.
    return value.replace("\x00", "")[:limit]
