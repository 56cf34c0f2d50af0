"""What each store keeps on disk for the points it was given, once it has settled.

CloudMetrics: the relation sizes (heap, TOAST and indexes) of every partition of the raw-point
tables and the rollups, and of the series dictionary, after `cloudmetrics maintain` has packed
the closed hours and a VACUUM (what autovacuum does next) has given emptied pages back.
VictoriaMetrics: its data directory after a forced flush, the bytes of every file in it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

# The packed model's tables (migration 0023), and `samples`, the table before it: whichever
# exist are counted, so the same script measures either schema.
RAW_TABLES = ("sample_chunks", "sample_blocks", "sample_rows", "samples")
ROLLUP_TABLES = ("rollups_1m", "rollups_1h")
DICTIONARY_TABLES = ("series", "metrics")

_PARTITIONED = """
SELECT coalesce(sum(pg_total_relation_size(relid)), 0)
FROM pg_partition_tree(to_regclass($1))
WHERE isleaf AND relid IN (SELECT oid FROM pg_class WHERE relkind IN ('r', 'm'))
"""


@dataclass(frozen=True)
class StoredBytes:
    raw: int
    rollups: int
    dictionary: int

    @property
    def total(self) -> int:
        return self.raw + self.rollups + self.dictionary


async def cloudmetrics_bytes(url: str) -> StoredBytes:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("VACUUM")
        raw = sum([await connection.fetchval(_PARTITIONED, table) for table in RAW_TABLES])
        rollups = sum([await connection.fetchval(_PARTITIONED, table) for table in ROLLUP_TABLES])
        dictionary = sum(
            [
                await connection.fetchval("SELECT pg_total_relation_size($1::regclass)", table)
                for table in DICTIONARY_TABLES
            ]
        )
    finally:
        await connection.close()
    return StoredBytes(raw=int(raw), rollups=int(rollups), dictionary=int(dictionary))


def victoria_bytes(base_url: str, data_directory: str, *, settle_seconds: float = 5.0) -> int:
    """The data directory's size once in-memory parts are flushed and merges had a moment."""
    httpx.get(f"{base_url}/internal/force_flush", timeout=60).raise_for_status()
    time.sleep(settle_seconds)
    return sum(
        path.stat().st_size
        for path in Path(data_directory).rglob("*")
        if path.is_file() and not path.is_symlink()
    )
