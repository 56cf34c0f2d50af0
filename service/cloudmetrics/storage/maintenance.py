"""`cloudmetrics maintain`: partitions created ahead of ingest, expired ones dropped, closed hours
of raw points packed into one block per series (storage/packing.py).

Run at every prestart and by a scheduled task in each environment (docs/adr/0014). Runs are
serialised by a session advisory lock; a run that finds another one under way leaves the work
to it. Every statement is short and takes its locks with a bounded wait, so maintenance never
queues ingest behind it for long: a partition it cannot lock now is dropped by the next run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import asyncpg

from cloudmetrics.database import Connection
from cloudmetrics.settings import Settings
from cloudmetrics.storage.packing import pack_closed_windows, reclaim_emptied_chunks
from cloudmetrics.storage.partitions import (
    TABLES,
    PartitionedTable,
    ensure_partitions,
    expired,
    partitions,
)

# Distinct from the migration runner's lock: maintenance may run while nobody migrates.
LOCK_KEY = 0x636D_6D61_696E_7400  # "cmmaint"
DDL_LOCK_TIMEOUT = "5s"


@dataclass
class MaintenanceReport:
    created: list[str] = field(default_factory=list[str])
    dropped: list[str] = field(default_factory=list[str])
    # Partitions left for the next run, with the reason.
    deferred: list[str] = field(default_factory=list[str])
    # Rows deleted from partitions that stay, for projects with a shorter retention.
    deleted: dict[str, int] = field(default_factory=dict[str, int])
    # Hours of a series' raw points packed into their block.
    packed: int = 0
    # Chunk partitions emptied by packing and truncated to give their space back.
    reclaimed: list[str] = field(default_factory=list[str])
    # Set when another run held the lock and this one did nothing.
    skipped: bool = False


def partition_window(settings: Settings, now: datetime) -> tuple[datetime, datetime]:
    """Every moment ingest may accept, plus the margin that survives missed runs."""
    start = now - timedelta(seconds=settings.ingest.past_window_seconds)
    end = now + timedelta(
        seconds=settings.ingest.future_window_seconds,
        days=settings.storage.partitions_ahead_days,
    )
    return start, end


_OVERRIDES = "SELECT DISTINCT {column} AS days FROM project_retention WHERE {column} IS NOT NULL"

# One partition, the rows of every project whose own retention has passed them. Run per
# partition: a day (or week) of rows at a time, never the whole table in one statement.
_DELETE_EXPIRED = """
DELETE FROM {partition} AS p
USING series AS s
JOIN metrics AS m ON m.id = s.metric_id
LEFT JOIN project_retention AS r ON r.project_id = m.project_id
WHERE p.series_id = s.id
    AND p.{time_column} + $3::interval
        {before} $1::timestamptz - make_interval(days => coalesce(r.{column}, $2)::integer)
"""


async def retention_bounds(
    connection: Connection, table: PartitionedTable, settings: Settings
) -> tuple[timedelta, timedelta]:
    """The shortest and the longest retention any project has for this table."""
    days = {table.retention(settings.storage).days}
    sql = _OVERRIDES.format(column=table.retention_column)
    days |= {row["days"] for row in await connection.fetch(sql)}
    return timedelta(days=min(days)), timedelta(days=max(days))


async def maintain(
    connection: Connection, settings: Settings, *, now: datetime, dry_run: bool = False
) -> MaintenanceReport:
    """One maintenance run on a dedicated connection (the advisory lock is a session lock)."""
    report = MaintenanceReport()
    if not await connection.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY):
        report.skipped = True
        return report
    try:
        await connection.execute(f"SET lock_timeout = '{DDL_LOCK_TIMEOUT}'")
        start, end = partition_window(settings, now)
        for table in TABLES:
            if not table.made_ahead:
                pass
            elif dry_run:
                report.created += _missing(table, await partitions(connection, table), start, end)
            else:
                report.created += await ensure_partitions(connection, table, start, end)
            shortest, longest = await retention_bounds(connection, table, settings)
            # Partitions are shared by every project: one goes when the longest retention has
            # passed it; projects that keep less lose their older rows from it meanwhile.
            names = await partitions(connection, table)
            for name in expired(table, names, now - longest):
                await _drop(connection, name, report, dry_run=dry_run)
            if shortest < longest and not dry_run:
                for name in expired(table, names, now - shortest + table.width):
                    if name not in report.dropped:
                        await _delete_expired_rows(connection, table, name, settings, now, report)
        if not dry_run:
            report.packed = await pack_closed_windows(connection, now)
            report.reclaimed = await reclaim_emptied_chunks(connection)
    finally:
        await connection.execute("RESET lock_timeout")
        await connection.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)
    return report


async def _delete_expired_rows(
    connection: Connection,
    table: PartitionedTable,
    partition: str,
    settings: Settings,
    now: datetime,
    report: MaintenanceReport,
) -> None:
    sql = _DELETE_EXPIRED.format(
        partition=_quoted(partition),
        time_column=table.time_column,
        column=table.retention_column,
        # A point goes when it is older than the cutoff; an hour of points when all of it is.
        before="<=" if table.row_span else "<",
    )
    days = table.retention(settings.storage).days
    status = await connection.execute(sql, now, days, table.row_span)
    deleted = int(status.split()[-1])
    if deleted:
        report.deleted[partition] = deleted


def _missing(
    table: PartitionedTable, existing: list[str], start: datetime, end: datetime
) -> list[str]:
    names: list[str] = []
    moment = table.lower_bound(start)
    while moment <= end:
        name = f"{table.name}_p{moment:%Y%m%d}"
        if name not in existing:
            names.append(name)
        moment += table.width
    return names


async def _drop(
    connection: Connection, name: str, report: MaintenanceReport, *, dry_run: bool
) -> None:
    if dry_run:
        report.dropped.append(name)
        return
    try:
        await connection.execute(f"DROP TABLE {_quoted(name)}")
    except asyncpg.LockNotAvailableError:
        report.deferred.append(f"{name}: busy (lock wait over {DDL_LOCK_TIMEOUT})")
    else:
        report.dropped.append(name)


def _quoted(name: str) -> str:
    # Names come from pg_class and match <table>_pYYYYMMDD; quoting is belt and braces.
    return '"' + name.replace('"', '""') + '"'
