"""The time-partitioned tables and the one way their partitions are made and named.

Partitions have fixed widths aligned on the Unix epoch and are named `<table>_p<YYYYMMDD>` after
their first day (UTC). They are created by the SQL function `ensure_time_partition` (migration
0010), which migrations, `cloudmetrics maintain` and ingest all call, so the naming lives in one
place.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cloudmetrics.database import Connection
from cloudmetrics.settings import StorageSettings

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class PartitionedTable:
    name: str
    width: timedelta
    retention: Callable[[StorageSettings], timedelta]
    # The partition key, and the column of project_retention (migration 0011) that overrides
    # the retention for one project.
    time_column: str
    retention_column: str
    # What one row covers from its time column on: a point, or an hour of a series' points.
    # Retention deletes a row only when all of it has passed.
    row_span: timedelta = timedelta(0)
    # False for a table nothing writes any more: its partitions only expire.
    made_ahead: bool = True

    def lower_bound(self, moment: datetime) -> datetime:
        return EPOCH + ((moment - EPOCH) // self.width) * self.width

    def partition_bounds(self, partition: str) -> tuple[datetime, datetime] | None:
        """The range a partition of this table covers, from its name; None if the name is not
        one of ours."""
        found = re.fullmatch(rf"{re.escape(self.name)}_p(\d{{8}})", partition)
        if found is None:
            return None
        lower = datetime.strptime(found.group(1), "%Y%m%d").replace(tzinfo=UTC)
        return lower, lower + self.width


# Raw points (migration 0023, docs/adr/0017): recent chunks and packed blocks, one row per
# series and hour; and the rows of before, which maintenance moves into blocks.
def _packed_points(name: str) -> PartitionedTable:
    """A table of packed raw points: a row per series and hour, daily partitions."""
    return PartitionedTable(
        name,
        timedelta(days=1),
        lambda s: timedelta(days=s.raw_retention_days),
        time_column="window_start",
        retention_column="raw_days",
        row_span=timedelta(hours=1),
    )


SAMPLE_CHUNKS = _packed_points("sample_chunks")
SAMPLE_BLOCKS = _packed_points("sample_blocks")
SAMPLE_ROWS = PartitionedTable(
    "sample_rows",
    timedelta(days=1),
    lambda s: timedelta(days=s.raw_retention_days),
    time_column="ts",
    retention_column="raw_days",
    made_ahead=False,
)
MINUTE_ROLLUPS = PartitionedTable(
    "rollups_1m",
    timedelta(days=7),
    lambda s: timedelta(days=s.minute_rollup_retention_days),
    time_column="bucket",
    retention_column="minute_rollup_days",
)
HOUR_ROLLUPS = PartitionedTable(
    "rollups_1h",
    timedelta(days=28),
    lambda s: timedelta(days=s.hour_rollup_retention_days),
    time_column="bucket",
    retention_column="hour_rollup_days",
)
TABLES = (SAMPLE_CHUNKS, SAMPLE_BLOCKS, SAMPLE_ROWS, MINUTE_ROLLUPS, HOUR_ROLLUPS)
# The tables a write may need a partition of.
WRITTEN_TABLES = tuple(table for table in TABLES if table.made_ahead)

_ENSURE = """
SELECT created FROM (
    SELECT ensure_time_partition($1::regclass, $2::interval, moment) AS created
    FROM generate_series($3::timestamptz, $4::timestamptz, $2::interval) AS moment
) AS attempts
WHERE created IS NOT NULL
"""

_PARTITIONS = """
SELECT child.relname AS name
FROM pg_inherits
JOIN pg_class AS child ON child.oid = pg_inherits.inhrelid
WHERE pg_inherits.inhparent = $1::regclass
ORDER BY child.relname
"""


async def ensure_partitions(
    connection: Connection, table: PartitionedTable, start: datetime, end: datetime
) -> list[str]:
    """Create every missing partition of ``table`` that [start, end] touches; return their
    names. Creating a partition locks its parent table until the transaction ends: call this
    outside any long transaction."""
    first = table.lower_bound(start)
    rows = await connection.fetch(_ENSURE, table.name, table.width, first, end)
    return [row["created"] for row in rows]


async def partitions(connection: Connection, table: PartitionedTable) -> list[str]:
    return [row["name"] for row in await connection.fetch(_PARTITIONS, table.name)]


def expired(table: PartitionedTable, names: list[str], cutoff: datetime) -> list[str]:
    """The partitions whose whole range lies before ``cutoff``, oldest first."""
    old: list[str] = []
    for name in names:
        bounds = table.partition_bounds(name)
        if bounds is not None and bounds[1] <= cutoff:
            old.append(name)
    return sorted(old)
