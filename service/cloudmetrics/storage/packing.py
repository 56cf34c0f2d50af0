"""Packing raw points: each closed hour of a series becomes one block row (docs/adr/0017).

Writes leave one chunk row per series, hour and batch (migration 0023's `record_samples`); the
rows of before the packed model sit in `sample_rows`. `cloudmetrics maintain` calls
`pack_closed_windows`, which hands the work to the SQL function `pack_sample_windows` a bounded
number of hours at a time: each call is a short transaction that locks only the block rows of
the hours it packs, in key order, the lock every writer of those hours takes too.

Packing deletes chunk rows; VACUUM makes their heap space reusable but keeps an index at its
largest. `reclaim_emptied_chunks` truncates a chunk partition that packing left empty, which
gives back its heap, TOAST and index at once.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from cloudmetrics.database import Connection
from cloudmetrics.storage.partitions import SAMPLE_CHUNKS, partitions

# Hours per transaction: big enough that a run's overhead is small, small enough that a writer
# of one of them waits a fraction of a second at most.
WINDOWS_PER_CALL = 500

_PACK = "SELECT pack_sample_windows($1::timestamptz, $2::integer)"


async def pack_closed_windows(
    connection: Connection, now: datetime, *, per_call: int = WINDOWS_PER_CALL
) -> int:
    """Pack every hour that ended at or before ``now`` and holds chunks or old rows; return how
    many hours were packed. Stops early, leaving the rest to the next run, when a block row
    stays locked past the connection's lock_timeout."""
    packed = 0
    while True:
        try:
            done: int = await connection.fetchval(_PACK, now, per_call)
        except asyncpg.LockNotAvailableError:
            return packed
        packed += done
        if done == 0:
            return packed


# Below this a partition is not worth the exclusive lock a TRUNCATE takes.
RECLAIM_AT_BYTES = 1 << 20

_SIZE = "SELECT pg_total_relation_size($1::regclass)"


async def reclaim_emptied_chunks(
    connection: Connection, *, at_bytes: int = RECLAIM_AT_BYTES
) -> list[str]:
    """Truncate every chunk partition of a megabyte or more that holds no row; return their
    names. The exclusive lock waits at most the connection's lock_timeout, and a write that
    queued behind it finds an empty partition, as it would have a moment before."""
    reclaimed: list[str] = []
    for name in await partitions(connection, SAMPLE_CHUNKS):
        quoted = '"' + name.replace('"', '""') + '"'
        if await connection.fetchval(_SIZE, quoted) < at_bytes:
            continue
        try:
            async with connection.transaction():
                await connection.execute(f"LOCK TABLE {quoted} IN ACCESS EXCLUSIVE MODE")
                if await connection.fetchval(f"SELECT EXISTS (SELECT FROM {quoted})"):  # noqa: S608 - a partition name from pg_class, quoted
                    continue
                await connection.execute(f"TRUNCATE {quoted}")
        except asyncpg.LockNotAvailableError:
            continue
        reclaimed.append(name)
    return reclaimed
