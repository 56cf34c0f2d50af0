"""`no-transaction` files: a failed concurrent index build must not be recorded as applied."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudmetrics.migrations.errors import MigrationFailed
from cloudmetrics.migrations.runner import MigrationRunner, RunnerOptions
from tests.migrations.schema import REPOSITORY_IDS, fetch_value, ledger_rows, write_migration

IS_VALID = "SELECT indisvalid FROM pg_index WHERE indexrelid = 'public.dup_x_key'::regclass"


@pytest.fixture
def unique_index_over_duplicates(migrations_dir: Path) -> Path:
    """0900 makes duplicate rows; 0901 builds a unique index over them, which cannot succeed."""
    write_migration(
        migrations_dir,
        "0900_duplicates",
        "CREATE TABLE dup (x int);\nINSERT INTO dup VALUES (1), (1);",
        "DROP TABLE dup;",
    )
    write_migration(
        migrations_dir,
        "0901_unique_x",
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS dup_x_key ON dup (x);",
        "DROP INDEX CONCURRENTLY IF EXISTS dup_x_key;",
        no_transaction=True,
    )
    return migrations_dir


async def test_a_failed_concurrent_build_advises_dropping_its_invalid_index(
    migrated_database_url: str, unique_index_over_duplicates: Path
) -> None:
    runner = MigrationRunner(migrated_database_url, unique_index_over_duplicates)

    with pytest.raises(MigrationFailed, match="UniqueViolationError") as failed:
        await runner.up()

    # The failed build leaves its index behind, INVALID; the advice says how to get rid of it.
    assert await fetch_value(migrated_database_url, IS_VALID) is False
    assert "DROP INDEX CONCURRENTLY public.dup_x_key" in str(failed.value)
    assert "\n" not in str(failed.value)


async def test_a_rerun_over_an_invalid_index_is_refused_and_names_it(
    migrated_database_url: str, unique_index_over_duplicates: Path
) -> None:
    runner = MigrationRunner(migrated_database_url, unique_index_over_duplicates)
    with pytest.raises(MigrationFailed):
        await runner.up()

    # IF NOT EXISTS skips the INVALID index, so the statement "succeeds": the runner must not
    # record the file as applied.
    with pytest.raises(MigrationFailed) as rerun:
        await runner.up()

    message = str(rerun.value)
    assert message.startswith("0901_unique_x.sql (up)")
    assert "INVALID index public.dup_x_key" in message
    assert "DROP INDEX CONCURRENTLY public.dup_x_key" in message
    assert "\n" not in message
    assert [row[0] for row in await ledger_rows(migrated_database_url) or []] == [
        *REPOSITORY_IDS,
        "0900",
    ]


async def test_following_the_advice_lets_the_file_apply(
    migrated_database_url: str, unique_index_over_duplicates: Path
) -> None:
    runner = MigrationRunner(migrated_database_url, unique_index_over_duplicates)
    with pytest.raises(MigrationFailed):
        await runner.up()

    await fetch_value(migrated_database_url, "DROP INDEX CONCURRENTLY public.dup_x_key")
    await fetch_value(migrated_database_url, "DELETE FROM dup")
    applied = await runner.up()

    assert [migration.id for migration in applied] == ["0901"]
    assert await fetch_value(migrated_database_url, IS_VALID) is True


async def test_no_transaction_files_get_their_own_longer_lock_timeout(
    migrated_database_url: str, migrations_dir: Path
) -> None:
    # CREATE INDEX CONCURRENTLY waits for every older transaction, and that wait counts
    # against lock_timeout: such files need more patience than transactional DDL.
    write_migration(
        migrations_dir,
        "0900_record_lock_timeout",
        "CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lock_timeout;",
        "DROP TABLE seen;",
        no_transaction=True,
    )
    options = RunnerOptions(ddl_lock_timeout=10.0, no_transaction_lock_timeout=123.0)

    await MigrationRunner(migrated_database_url, migrations_dir, options=options).up()

    assert await fetch_value(migrated_database_url, "SELECT lock_timeout FROM seen") == "123s"
