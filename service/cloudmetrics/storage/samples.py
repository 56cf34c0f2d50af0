"""Raw sample reads: every point of some series in a time window, in one round trip.

The one way a reader gets raw points without aggregation (remote read answers from it). Points
live in packed blocks, recent chunks and, until maintenance has moved them, old rows (migration
0023, docs/adr/0017); the SQL function `samples_between` reads all three, and its contract, not
the tables, is what callers rely on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cloudmetrics.database import Connection

# Per series id with at least one point in [start, end): (timestamps in integer milliseconds
# since the epoch, values), in timestamp order. A series without a point there is absent.
RawSamples = dict[int, tuple[list[int], list[float]]]

# extract(epoch ...) is numeric, so the millisecond is exact; floor() keeps a point stored with
# microseconds in the millisecond it falls in, before as after the epoch.
_READ = """
SELECT series_id,
    array_agg(floor(extract(epoch FROM ts) * 1000)::bigint ORDER BY ts) AS stamps,
    array_agg(value ORDER BY ts) AS point_values
FROM samples_between($1::bigint[], $2::timestamptz, $3::timestamptz)
GROUP BY series_id
"""


async def read_raw_samples(
    connection: Connection, series_ids: Sequence[int], start: datetime, end: datetime
) -> RawSamples:
    """The points of ``series_ids`` in [start, end), per series, oldest first."""
    if not series_ids:
        return {}
    rows = await connection.fetch(_READ, list(series_ids), start, end)
    return {row["series_id"]: (list(row["stamps"]), list(row["point_values"])) for row in rows}
