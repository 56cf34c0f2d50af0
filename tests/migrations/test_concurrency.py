"""Ten runners started at once: each migration is applied exactly once, and none of them fails."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from cloudmetrics.migrations.runner import MigrationRunner
from tests.migrations.schema import REPOSITORY_IDS, fetch_value, ledger_rows, write_migration

RUNNERS = 10
INDEX_IS_VALID = "SELECT indisvalid FROM pg_index WHERE indexrelid = 'readings_n_idx'::regclass"


@pytest.fixture
def slow_migrations(migrations_dir: Path) -> Path:
    """The real migrations plus two slow ones, so that every runner arrives while one works."""
    write_migration(
        migrations_dir,
        "0900_slow_counter",
        "CREATE TABLE applied_count (n bigint NOT NULL);\n"
        "INSERT INTO applied_count VALUES (1);\nSELECT pg_sleep(0.2);",
        "DROP TABLE applied_count;",
    )
    write_migration(
        migrations_dir,
        "0901_slow_again",
        "UPDATE applied_count SET n = n + 1;\nSELECT pg_sleep(0.2);",
        "UPDATE applied_count SET n = n - 1;",
    )
    return migrations_dir


async def test_ten_runners_in_one_process_apply_each_migration_once(
    database_url: str, slow_migrations: Path
) -> None:
    runners = [MigrationRunner(database_url, slow_migrations) for _ in range(RUNNERS)]

    results = await asyncio.gather(*(runner.up() for runner in runners), return_exceptions=True)

    errors = [result for result in results if isinstance(result, BaseException)]
    assert errors == []
    applied = [m.id for result in results if isinstance(result, list) for m in result]
    assert sorted(applied) == [*REPOSITORY_IDS, "0900", "0901"]
    assert [row[0] for row in await ledger_rows(database_url) or []] == [
        *REPOSITORY_IDS,
        "0900",
        "0901",
    ]
    assert await fetch_value(database_url, "SELECT n FROM applied_count") == 2


async def test_ten_cli_processes_apply_each_migration_once(
    database_url: str, slow_migrations: Path
) -> None:
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MIGRATIONS_DIR": str(slow_migrations),
    }
    command = [sys.executable, "-m", "cloudmetrics", "migrate", "up", "--lock-timeout", "60"]
    processes = [
        await asyncio.create_subprocess_exec(
            *command,
            env=environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(RUNNERS)
    ]
    outputs = [await process.communicate() for process in processes]

    assert [process.returncode for process in processes] == [0] * RUNNERS, outputs
    stdout = "".join(out.decode() for out, _ in outputs)
    for label in (
        "0001_create_metrics_and_points.sql",
        "0900_slow_counter.sql",
        "0901_slow_again.sql",
    ):
        assert stdout.count(f"applied {label}") == 1, stdout
    assert [row[0] for row in await ledger_rows(database_url) or []] == [
        *REPOSITORY_IDS,
        "0900",
        "0901",
    ]
    assert await fetch_value(database_url, "SELECT n FROM applied_count") == 2


async def test_a_waiting_runner_never_holds_up_a_concurrent_index_build(
    database_url: str, migrations_dir: Path
) -> None:
    # The holder sleeps long enough for the second runner to be waiting before the build starts.
    # A waiter blocked inside PostgreSQL would hold a snapshot that the build waits for, while it
    # waits for the holder's lock: the deadlock detector would then abort the build.
    write_migration(
        migrations_dir,
        "0900_table_then_pause",
        "CREATE TABLE readings (n int);\nINSERT INTO readings SELECT generate_series(1, 1000);\n"
        "SELECT pg_sleep(1.5);",
        "DROP TABLE readings;",
    )
    write_migration(
        migrations_dir,
        "0901_index_concurrently",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS readings_n_idx ON readings (n);",
        "DROP INDEX CONCURRENTLY IF EXISTS readings_n_idx;",
        no_transaction=True,
    )
    runners = [MigrationRunner(database_url, migrations_dir) for _ in range(2)]

    results = await asyncio.gather(*(runner.up() for runner in runners), return_exceptions=True)

    errors = [result for result in results if isinstance(result, BaseException)]
    assert errors == []
    applied = [m.id for result in results if isinstance(result, list) for m in result]
    assert sorted(applied) == [*REPOSITORY_IDS, "0900", "0901"]
    assert await fetch_value(database_url, INDEX_IS_VALID) is True
