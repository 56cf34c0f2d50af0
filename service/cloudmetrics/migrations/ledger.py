"""The ledger: one row per applied migration, written in the same transaction as its schema change.

Because the row and the change commit together, the ledger can never claim a migration that did
not happen, nor miss one that did (except for `no-transaction` files, see runner.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import asyncpg

from cloudmetrics.migrations.files import Migration

if TYPE_CHECKING:
    # Type only: importing cloudmetrics.database would load the web stack into every run.
    from cloudmetrics.database import Connection

LEDGER_TABLE = "public.schema_migrations"

# The statements spell the table out (no string building), so each one reads as it runs.
CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS public.schema_migrations (
    id text PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    duration_ms double precision NOT NULL
)
"""


@dataclass(frozen=True, slots=True)
class AppliedMigration:
    id: str
    name: str
    checksum: str
    applied_at: datetime
    duration_ms: float


async def read_ledger(connection: Connection) -> list[AppliedMigration] | None:
    """Applied migrations ordered by id, or None when the ledger table does not exist yet.

    One query: this is all a no-op `up` (run on every deploy) asks of the database.
    """
    try:
        rows = await connection.fetch(
            "SELECT id, name, checksum, applied_at, duration_ms"
            " FROM public.schema_migrations ORDER BY id"
        )
    except asyncpg.UndefinedTableError:
        return None
    return [
        AppliedMigration(
            id=row["id"],
            name=row["name"],
            checksum=row["checksum"],
            applied_at=row["applied_at"],
            duration_ms=row["duration_ms"],
        )
        for row in rows
    ]


async def create_ledger(connection: Connection) -> None:
    await connection.execute(CREATE_LEDGER)


async def record(connection: Connection, migration: Migration, duration_ms: float) -> None:
    await connection.execute(
        "INSERT INTO public.schema_migrations (id, name, checksum, duration_ms)"
        " VALUES ($1, $2, $3, $4)",
        migration.id,
        migration.name,
        migration.checksum,
        duration_ms,
    )


async def forget(connection: Connection, migration_id: str) -> None:
    await connection.execute("DELETE FROM public.schema_migrations WHERE id = $1", migration_id)
