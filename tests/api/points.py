"""Building ingest payloads for the tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def point(
    name: str = "cpu.load",
    *,
    value: Any = 1.0,
    at: datetime | None = None,
    tags: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "timestamp": (at or now() - timedelta(minutes=1)).isoformat(),
        "value": value,
    }
    if tags is not None:
        body["tags"] = tags
    body.update(extra)
    return body


def batch(*points: dict[str, Any]) -> dict[str, Any]:
    return {"points": list(points)}
