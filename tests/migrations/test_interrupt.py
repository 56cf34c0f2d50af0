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
from tests.migrations.helpers import fetch_value, ledger_rows, write_migration

# Generous bounds for a loaded machine; the statement itself would sleep far longer.
STATEMENT_SECONDS = 90
PATIENCE_SECONDS = 30.0

RUNNING_SLEEP = """
    SELECT count(*) FROM pg_stat_activity
    WHERE datname = current_database() AND application_name = $1
      AND state = 'active' AND query LIKE 'SELECT pg_sleep%'"""
LEFTOVERS = """
    SELECT (SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = $1)
         + (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $2)"""


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


async def test_sigterm_during_up_rolls_back_and_releases_the_lock(
    migrated_database_url: str, migrations_dir: Path
) -> None:
    write_migration(
        migrations_dir,
        "0900_sleepy",
        f"CREATE TABLE sleepy (id bigint);\nSELECT pg_sleep({STATEMENT_SECONDS});",
        "DROP TABLE sleepy;",
    )
    environment = {
        **os.environ,
        "DATABASE_URL": migrated_database_url,
        "MIGRATIONS_DIR": str(migrations_dir),
    }
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "cloudmetrics", "migrate", "up"),
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert (
            await wait_until(migrated_database_url, RUNNING_SLEEP, APPLICATION_NAME, wanted=1) == 1
        )
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), PATIENCE_SECONDS)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    lines = stderr.decode().strip().splitlines()
    assert process.returncode == 1, lines
    assert lines == ["Error: interrupted by SIGTERM; rolled back 0900_sleepy.sql (up)"]
    # The server session is gone with its lock, instead of sleeping on for a minute and a half.
    assert (
        await wait_until(
            migrated_database_url, LEFTOVERS, APPLICATION_NAME, MIGRATION_LOCK_KEY, wanted=0
        )
        == 0
    )
    assert [row[0] for row in await ledger_rows(migrated_database_url) or []] == ["0001"]
    assert await fetch_value(migrated_database_url, "SELECT to_regclass('public.sleepy')") is None
