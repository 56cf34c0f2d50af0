"""Migration files written for the runner's tests, and a database's schema and ledger read back."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from cloudmetrics.migrations import ledger
from cloudmetrics.migrations.files import load_migrations
from cloudmetrics.settings import Settings

REPOSITORY_MIGRATIONS = Path(Settings().migrations_dir)
# The repository's own migration ids, oldest first, and the newest: tests that apply the real
# migrations compare against these, so adding a migration does not break them.
REPOSITORY_IDS = [migration.id for migration in load_migrations(REPOSITORY_MIGRATIONS)]
REPOSITORY_HEAD = REPOSITORY_IDS[-1]

# Every table, column, constraint and index of the public schema, in a stable order: two
# databases with equal snapshots have the same schema as far as the application can tell.
_SNAPSHOT_QUERIES = {
    "columns": """
        SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity,
               identity_generation
        FROM information_schema.columns WHERE table_schema = 'public'
        ORDER BY table_name, ordinal_position""",
    "constraints": """
        SELECT conrelid::regclass::text AS table_name, conname, pg_get_constraintdef(oid) AS def
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace
        ORDER BY table_name, conname""",
    "indexes": """
        SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
        ORDER BY tablename, indexname""",
    "relations": """
        SELECT relname, relkind FROM pg_class WHERE relnamespace = 'public'::regnamespace
        ORDER BY relname""",
}


def write_migration(
    folder: Path, stem: str, up: str, down: str = "", *, no_transaction: bool = False
) -> Path:
    header = "-- migrate:no-transaction\n" if no_transaction else ""
    path = folder / f"{stem}.sql"
    path.write_text(f"-- {stem}\n{header}-- migrate:up\n{up}\n-- migrate:down\n{down}\n")
    return path


async def schema_snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    connection = await asyncpg.connect(url)
    try:
        return {
            name: [tuple(row) for row in await connection.fetch(query)]
            for name, query in _SNAPSHOT_QUERIES.items()
        }
    finally:
        await connection.close()


async def ledger_rows(url: str) -> list[tuple[str, str]] | None:
    """(id, checksum) of each ledger row, or None when there is no ledger table."""
    connection = await asyncpg.connect(url)
    try:
        if await connection.fetchval("SELECT to_regclass('public.schema_migrations')") is None:
            return None
        rows = await connection.fetch("SELECT id, checksum FROM schema_migrations ORDER BY id")
        return [(row["id"], row["checksum"]) for row in rows]
    finally:
        await connection.close()


async def fetch_value(url: str, query: str) -> object:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval(query)
    finally:
        await connection.close()


async def create_ledger_table(url: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await ledger.create_ledger(connection)
    finally:
        await connection.close()
