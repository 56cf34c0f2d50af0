"""Nothing may rely on a PostgreSQL newer than production's (16, the RDS engine version).

The suite's usual run is on the machine's PostgreSQL 15; these tests add production's major
version: the embedded server (`make up`'s, and the suite's where nothing answers) must be that
version and no newer, and every migration must go up, down and up again on it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cloudmetrics_infra.database import ENGINE_VERSION

from cloudmetrics.local_servers.postgresql import THROWAWAY_SETTINGS, EmbeddedPostgres
from cloudmetrics.local_servers.programs import (
    PRODUCTION_POSTGRES_MAJOR,
    LocalServersUnavailable,
    postgres_bin_dir,
    postgres_version,
)
from cloudmetrics.migrations.runner import MigrationRunner
from tests.migrations.schema import REPOSITORY_MIGRATIONS, schema_snapshot
from tests.support.databases import DatabaseFactory
from tests.support.ports import free_port
from tests.support.reachable_dir import reachable_dir
from tests.support.suite_servers import SuitePostgres

pytestmark = pytest.mark.timeout(300)


def test_production_major_is_the_database_the_estate_runs() -> None:
    assert int(ENGINE_VERSION.split(".")[0]) == PRODUCTION_POSTGRES_MAJOR


def test_the_embedded_postgresql_is_production_major() -> None:
    assert postgres_version(postgres_bin_dir())[0] == PRODUCTION_POSTGRES_MAJOR


def test_a_newer_postgresql_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    newer = tmp_path / "bin"
    newer.mkdir()
    postgres = newer / "postgres"
    postgres.write_text("#!/bin/sh\necho 'postgres (PostgreSQL) 18.1'\n")
    postgres.chmod(0o755)
    server = EmbeddedPostgres(tmp_path / "data", newer)

    with pytest.raises(LocalServersUnavailable, match=r"18\.1, newer than production's 16"):
        server.start("127.0.0.1", free_port())

    assert not server.data_dir.exists()


@pytest.fixture(scope="module")
async def production_major_database(
    postgres_server: SuitePostgres, database_factory: DatabaseFactory
) -> AsyncIterator[str]:
    """An empty database on a PostgreSQL of production's major version: the suite's own server
    when it is one, else an embedded one started for this module."""
    if postgres_server.major == PRODUCTION_POSTGRES_MAJOR:
        yield await database_factory.create("production_major")
        return
    with reachable_dir("cm-pg16-") as folder:
        server = EmbeddedPostgres(folder / "data")
        port = free_port()
        server.start("127.0.0.1", port, THROWAWAY_SETTINGS)
        try:
            yield server.url("127.0.0.1", port)
        finally:
            server.stop()


async def test_every_migration_goes_up_down_and_up_on_production_major(
    production_major_database: str,
) -> None:
    runner = MigrationRunner(production_major_database, REPOSITORY_MIGRATIONS)
    before = await schema_snapshot(production_major_database)

    applied = await runner.up()
    migrated = await schema_snapshot(production_major_database)
    await runner.down(steps=len(applied))
    await runner.up()

    assert applied
    assert migrated != before
    assert await schema_snapshot(production_major_database) == migrated
