"""Every migration in migrations/ goes up, down and up again, leaving the schema it found.

Compared with pg_dump --schema-only (everything PostgreSQL would recreate) and with a catalog
snapshot (which names the difference when there is one).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cloudmetrics.migrations.files import load_migrations
from cloudmetrics.migrations.runner import MigrationRunner
from tests.migrations.schema import (
    REPOSITORY_MIGRATIONS,
    create_ledger_table,
    ledger_rows,
    schema_snapshot,
)
from tests.support.suite_servers import SuitePostgres

MIGRATION_IDS = [migration.id for migration in load_migrations(REPOSITORY_MIGRATIONS)]


@pytest.fixture(scope="module")
def pg_dump(postgres_server: SuitePostgres) -> Path:
    """pg_dump of the suite's server's major version (a newer one's output differs)."""
    return postgres_server.program("pg_dump")


async def dump_schema(pg_dump: Path, url: str) -> str:
    process = await asyncio.create_subprocess_exec(
        pg_dump,
        "--schema-only",
        "--no-owner",
        "--no-privileges",
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    # pg_dump 15.14+ brackets its output with \restrict/\unrestrict and a random key per run.
    lines = stdout.decode().splitlines()
    return "\n".join(line for line in lines if not line.startswith(("\\restrict", "\\unrestrict")))


def test_the_repository_has_migrations() -> None:
    assert MIGRATION_IDS, "migrations/ holds no migration"


@pytest.mark.parametrize("migration_id", MIGRATION_IDS)
async def test_up_down_up_restores_the_schema(
    pg_dump: Path, database_url: str, migration_id: str
) -> None:
    runner = MigrationRunner(database_url, REPOSITORY_MIGRATIONS)
    previous = [i for i in MIGRATION_IDS if i < migration_id]
    if previous:
        await runner.up(to=previous[-1])
    else:
        # The ledger table is the runner's, not the migration's: let it exist on both sides.
        await create_ledger_table(database_url)
    before = (await dump_schema(pg_dump, database_url), await schema_snapshot(database_url))
    ledger_before = await ledger_rows(database_url) or []

    assert [m.id for m in await runner.up(to=migration_id)] == [migration_id]
    after_up = (await dump_schema(pg_dump, database_url), await schema_snapshot(database_url))
    assert after_up != before, f"{migration_id} changed nothing in the schema"

    assert [m.id for m in await runner.down(steps=1)] == [migration_id]
    after_down = (await dump_schema(pg_dump, database_url), await schema_snapshot(database_url))
    assert after_down[1] == before[1]
    assert after_down[0] == before[0]
    assert (await ledger_rows(database_url) or []) == ledger_before

    await runner.up(to=migration_id)
    again = (await dump_schema(pg_dump, database_url), await schema_snapshot(database_url))
    assert again[1] == after_up[1]
    assert again[0] == after_up[0]


def _snapshot_without_ledger(
    snapshot: dict[str, list[tuple[object, ...]]],
) -> dict[str, list[tuple[object, ...]]]:
    return {
        name: [row for row in rows if not any("schema_migrations" in str(v) for v in row)]
        for name, rows in snapshot.items()
    }


async def test_all_migrations_apply_on_an_empty_database_and_roll_back_to_empty(
    database_url: str,
) -> None:
    runner = MigrationRunner(database_url, REPOSITORY_MIGRATIONS)
    empty = _snapshot_without_ledger(await schema_snapshot(database_url))

    applied = await runner.up()
    await runner.down(steps=len(applied))

    assert [m.id for m in applied] == MIGRATION_IDS
    assert _snapshot_without_ledger(await schema_snapshot(database_url)) == empty
    assert await ledger_rows(database_url) == []


async def test_redo_leaves_the_schema_and_ledger_ids_as_they_were(
    pg_dump: Path, migrated_database_url: str
) -> None:
    runner = MigrationRunner(migrated_database_url, REPOSITORY_MIGRATIONS)
    before = await dump_schema(pg_dump, migrated_database_url)
    ledger_before = await ledger_rows(migrated_database_url)

    redone = await runner.redo()

    assert [m.id for m in redone] == [MIGRATION_IDS[-1]]
    assert await dump_schema(pg_dump, migrated_database_url) == before
    assert await ledger_rows(migrated_database_url) == ledger_before
