"""Which stored resolution answers a series query: the coarsest whose buckets fit its own.

A rollup row (docs/adr/0015) covers one UTC minute or hour aligned on the epoch. It can stand in
for its points only if it falls wholly inside one of the query's buckets, which holds when the
query's start is aligned on the rollup's width and its step is a multiple of it. Rollups then
answer [start, rollup_end), the whole rollup rows before `end`, and raw points answer the tail
[rollup_end, end). Anything else reads raw points only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cloudmetrics.metrics.series_params import SeriesQuery

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Resolution:
    # The rollup table read for [start, rollup_end), or None for raw points only.
    table: str | None
    width: timedelta

    def rollup_end(self, query: SeriesQuery) -> datetime:
        if self.table is None:
            return query.start
        whole = (query.end - query.start) // self.width
        return query.start + whole * self.width


RAW = Resolution(None, timedelta(0))
MINUTE = Resolution("rollups_1m", timedelta(minutes=1))
HOUR = Resolution("rollups_1h", timedelta(hours=1))


def choose_resolution(query: SeriesQuery) -> Resolution:
    for resolution in (HOUR, MINUTE):
        width = resolution.width
        if query.step % width == timedelta(0) and (query.start - EPOCH) % width == timedelta(0):
            return resolution
    return RAW
