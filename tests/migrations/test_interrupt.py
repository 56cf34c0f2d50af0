"""SIGTERM (what ECS sends to stop a task) rolls the running migration back and frees the lock.

Without it, the process dies but its server session keeps running the statement and keeps the
migration lock until the statement ends on its own.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import asyncpg

from cloudmetrics.migrations.lock import APPLICATION_NAME, MIGRATION_LOCK_KEY
from tests.migrations.schema import REPOSITORY_IDS, fetch_value, ledger_rows, write_migration

# Generous bounds for a loaded machine; the statement itself would sleep far longer.
STATEMENT_SECONDS = 90
PATIENCE_SECONDS = 30.0

# The runner's session is busy with `query_start` (a prefix of the statement it runs).
RUNNER_BUSY_WITH = """
    SELECT count(*) FROM pg_stat_activity
    WHERE datname = current_database() AND application_name = $1
      AND state = 'active' AND starts_with(query, $2)"""
# A runner waiting for the lock tries it again and again; between tries its session is idle, so
# only its last statement shows it waits.
RUNNER_LAST_RAN = """
    SELECT count(*) FROM pg_stat_activity
    WHERE datname = current_database() AND application_name = $1 AND starts_with(query, $2)"""
LEFTOVERS = """
    SELECT (SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = $1)
         + (SELECT count(*) FROM pg_locks
            WHERE locktype = 'advisory' AND objid = $2 AND pid <> ALL($3::int[]))"""


async def wait_until(url: str, query: str, *arguments: object, wanted: int) -> int:
    """Poll ``query`` until it returns ``wanted`` or patience runs out; returns the last value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE_SECONDS
    connection = await asyncpg.connect(url)
    try:
        while True:
            value = await connection.fetchval(query, *arguments)
            if value == wanted or loop.time() > deadline:
                return value
            await asyncio.sleep(0.05)
    finally:
        await connection.close()


async def signal_up_while(
    url: str,
    migrations_dir: Path,
    query_start: str,
    signal_number: int,
    *,
    seen_by: str = RUNNER_BUSY_WITH,
) -> tuple[int | None, list[str]]:
    """Start `cloudmetrics migrate up`, signal it once it runs ``query_start``; exit and stderr."""
    environment = {**os.environ, "DATABASE_URL": url, "MIGRATIONS_DIR": str(migrations_dir)}
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "cloudmetrics", "migrate", "up", "--lock-timeout", "60"),
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        busy = await wait_until(url, seen_by, APPLICATION_NAME, query_start, wanted=1)
        assert busy == 1, f"the runner never ran {query_start}"
        process.send_signal(signal_number)
        _, stderr = await asyncio.wait_for(process.communicate(), PATIENCE_SECONDS)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return process.returncode, stderr.decode().strip().splitlines()


async def terminate_up_while(
    url: str, migrations_dir: Path, query_start: str, *, seen_by: str = RUNNER_BUSY_WITH
) -> list[str]:
    """SIGTERM `cloudmetrics migrate up` once it runs ``query_start``; the lines it printed."""
    returncode, lines = await signal_up_while(
        url, migrations_dir, query_start, signal.SIGTERM, seen_by=seen_by
    )
    assert returncode == 1, lines
    return lines


async def assert_runner_gone(url: str, *, other_holder: int = 0) -> None:
    # The server session is gone with its lock, instead of running on for a minute and a half.
    leftovers = await wait_until(
        url, LEFTOVERS, APPLICATION_NAME, MIGRATION_LOCK_KEY, [other_holder], wanted=0
    )
    assert leftovers == 0


async def test_sigterm_during_up_rolls_back_and_releases_the_lock(
    migrated_database_url: str, migrations_dir: Path
) -> None:
    write_migration(
        migrations_dir,
        "0900_sleepy",
        f"CREATE TABLE sleepy (id bigint);\nSELECT pg_sleep({STATEMENT_SECONDS});",
        "DROP TABLE sleepy;",
    )

    lines = await terminate_up_while(migrated_database_url, migrations_dir, "SELECT pg_sleep")

    assert lines == ["Error: interrupted by SIGTERM; rolled back 0900_sleepy.sql (up)"]
    await assert_runner_gone(migrated_database_url)
    assert [row[0] for row in await ledger_rows(migrated_database_url) or []] == REPOSITORY_IDS
    assert await fetch_value(migrated_database_url, "SELECT to_regclass('public.sleepy')") is None


async def test_sigterm_during_a_no_transaction_file_says_what_stays(
    migrated_database_url: str, migrations_dir: Path
) -> None:
    write_migration(
        migrations_dir,
        "0900_sleepy",
        f"CREATE TABLE sleepy (id bigint);\nSELECT pg_sleep({STATEMENT_SECONDS});",
        "DROP TABLE sleepy;",
        no_transaction=True,
    )

    lines = await terminate_up_while(migrated_database_url, migrations_dir, "SELECT pg_sleep")

    assert len(lines) == 1
    assert lines[0].startswith(
        "Error: interrupted by SIGTERM during 0900_sleepy.sql (up, no transaction): "
        "its earlier statements stay applied and it is not recorded"
    )
    await assert_runner_gone(migrated_database_url)
    assert [row[0] for row in await ledger_rows(migrated_database_url) or []] == REPOSITORY_IDS
    exists = "SELECT to_regclass('public.sleepy')::text"
    assert await fetch_value(migrated_database_url, exists) == "sleepy"


async def test_sigterm_while_waiting_for_the_lock_ends_the_wait(
    migrated_database_url: str, migrations_dir: Path
) -> None:
    write_migration(migrations_dir, "0900_add_units", "ALTER TABLE metrics ADD COLUMN unit text;")
    holder = await asyncpg.connect(migrated_database_url)
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        lines = await terminate_up_while(
            migrated_database_url,
            migrations_dir,
            "SELECT pg_try_advisory_lock",
            seen_by=RUNNER_LAST_RAN,
        )
        await assert_runner_gone(migrated_database_url, other_holder=holder.get_server_pid())
    finally:
        await holder.close()

    assert lines == ["Error: interrupted by SIGTERM; no migration was running"]
    assert [row[0] for row in await ledger_rows(migrated_database_url) or []] == REPOSITORY_IDS


async def test_a_killed_runner_s_statement_stops_too(
    migrated_database_url: str, migrations_dir: Path
) -> None:
    # SIGKILL leaves no time for cleanup: client_connection_check_interval makes the server
    # notice the vanished client and stop the statement, which frees the lock.
    write_migration(
        migrations_dir,
        "0900_sleepy",
        f"CREATE TABLE sleepy (id bigint);\nSELECT pg_sleep({STATEMENT_SECONDS});",
        "DROP TABLE sleepy;",
    )

    returncode, _ = await signal_up_while(
        migrated_database_url, migrations_dir, "SELECT pg_sleep", signal.SIGKILL
    )

    assert returncode == -signal.SIGKILL
    await assert_runner_gone(migrated_database_url)
    assert [row[0] for row in await ledger_rows(migrated_database_url) or []] == REPOSITORY_IDS
