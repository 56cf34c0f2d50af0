"""Resolving a batch's points to series ids: a process-local cache in front of `series`.

A series is a metric and a tag set (docs/adr/0013). Almost every point of a batch belongs to a
series the process has seen before, so ids are cached in memory, keyed by the metric id and the
tag JSON as the client sent it (another key order is another entry for the same id). Only ids
of committed rows are cached: a series created by a batch that rolls back never existed.

The cache lives in this process and dies with it, unlike the Redis cache the catalogue uses: an
id held there would outlive a restored or recreated database. Series rows are never deleted
while the service runs, so a cached id stays right for the life of the process.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from cloudmetrics.database import Connection

SeriesKey = tuple[int, str]

# Every known series of this batch, by its key; the tag JSON is hashed the way the dictionary's
# unique key is, from the canonical jsonb text.
_KNOWN = """
SELECT wanted.position, series.id
FROM unnest($1::bigint[], $2::jsonb[]) WITH ORDINALITY AS wanted (metric_id, tags, position)
JOIN series
    ON series.metric_id = wanted.metric_id
    AND series.tags_hash = sha256(convert_to(wanted.tags::text, 'UTF8'))
"""
# Sorted, so that concurrent batches creating the same series lock them in the same order.
_CREATE = """
INSERT INTO series (metric_id, tags, tags_hash)
SELECT metric_id, tags, sha256(convert_to(tags::text, 'UTF8'))
FROM unnest($1::bigint[], $2::jsonb[]) AS wanted (metric_id, tags)
ORDER BY 1, 3
ON CONFLICT (metric_id, tags_hash) DO NOTHING
"""


class SeriesIdCache:
    """Series ids this process has seen committed, at most ``capacity`` of them."""

    def __init__(self, capacity: int = 200_000) -> None:
        self.capacity = capacity
        self._ids: dict[SeriesKey, int] = {}

    def get(self, key: SeriesKey) -> int | None:
        return self._ids.get(key)

    def add(self, found: Iterable[tuple[SeriesKey, int]]) -> None:
        self._ids.update(found)
        if len(self._ids) > self.capacity:
            # Oldest first (dicts keep insertion order): drop a tenth rather than one at a time.
            for key in list(self._ids)[: len(self._ids) - self.capacity * 9 // 10]:
                del self._ids[key]

    def clear(self) -> None:
        self._ids.clear()

    def __len__(self) -> int:
        return len(self._ids)


class Admission(Protocol):
    async def admit(self, connection: Connection, new: Sequence[SeriesKey]) -> None:
        """Raise to refuse the batch before ``new`` series are created (series_budget.py)."""
        ...


async def resolve_series(
    connection: Connection,
    cache: SeriesIdCache,
    keys: Sequence[SeriesKey],
    admission: Admission | None = None,
) -> dict[SeriesKey, int]:
    """The id of every series in ``keys``, creating the missing ones once ``admission`` lets
    them in; call inside the batch's transaction, and add what it returns to the cache only
    after that transaction commits."""
    ids: dict[SeriesKey, int] = {}
    missing: list[SeriesKey] = []
    for key in keys:
        found = cache.get(key)
        if found is None:
            missing.append(key)
        else:
            ids[key] = found
    if missing:
        ids.update(await _look_up(connection, missing))
        unknown = [key for key in missing if key not in ids]
        if unknown:
            if admission is not None:
                await admission.admit(connection, unknown)
            await connection.execute(
                _CREATE, [key[0] for key in unknown], [key[1] for key in unknown]
            )
            # Ours and those a concurrent batch committed meanwhile (ON CONFLICT waited for it).
            ids.update(await _look_up(connection, unknown))
    return ids


async def _look_up(connection: Connection, keys: Sequence[SeriesKey]) -> dict[SeriesKey, int]:
    rows = await connection.fetch(_KNOWN, [key[0] for key in keys], [key[1] for key in keys])
    return {keys[row["position"] - 1]: row["id"] for row in rows}
