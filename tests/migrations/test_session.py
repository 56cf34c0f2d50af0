"""One migration's session settings never reach the next: all of a run shares one connection."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudmetrics.migrations.lock import APPLICATION_NAME, CLIENT_CHECK_INTERVAL
from cloudmetrics.migrations.runner import MigrationRunner
from tests.migrations.schema import fetch_value, write_migration

LEAKY_UP = """\
CREATE SCHEMA elsewhere;
SET search_path TO elsewhere;
SET lock_timeout = '1ms';
SET application_name = 'renamed-by-a-migration';
SET client_connection_check_interval = 0;
"""

RECORD_SESSION = """\
CREATE TABLE seen AS
SELECT current_setting('lock_timeout') AS lock_timeout,
       current_setting('application_name') AS application_name,
       current_setting('client_connection_check_interval') AS check_interval;
"""


@pytest.mark.parametrize("no_transaction", [False, True], ids=["transactional", "no-transaction"])
async def test_settings_made_by_a_migration_are_reset_before_the_next(
    database_url: str, tmp_path: Path, no_transaction: bool
) -> None:
    write_migration(
        tmp_path, "0001_leaky", LEAKY_UP, "DROP SCHEMA elsewhere;", no_transaction=no_transaction
    )
    write_migration(tmp_path, "0002_record_session", RECORD_SESSION, "DROP TABLE seen;")

    await MigrationRunner(database_url, tmp_path).up()

    # The second migration's unqualified table landed in public, not in `elsewhere`...
    assert await fetch_value(database_url, "SELECT to_regclass('public.seen')::text") == "seen"
    assert await fetch_value(database_url, "SELECT to_regclass('elsewhere.seen')") is None
    # ... under the runner's own settings, re-applied for it.
    row = await fetch_value(
        database_url,
        "SELECT row(lock_timeout, application_name, check_interval)::text FROM public.seen",
    )
    assert row == f"(10s,{APPLICATION_NAME},{CLIENT_CHECK_INTERVAL})"
