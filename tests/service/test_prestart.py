"""`cloudmetrics prestart`: says exactly what is missing, and creates the local database."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
from click.testing import CliRunner

from cloudmetrics.cli import main
from cloudmetrics.migrations.files import load_migrations
from cloudmetrics.settings import Settings
from tests.support.addresses import with_user
from tests.support.databases import DatabaseFactory, with_database
from tests.support.ports import free_port


def test_names_an_unreachable_postgresql_and_how_to_start_it(redis_url: str) -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/cloudmetrics"

    result = CliRunner().invoke(
        main, ["prestart"], env={"DATABASE_URL": url, "REDIS_URL": redis_url}
    )

    assert result.exit_code == 1
    assert "PostgreSQL is not reachable" in result.output
    assert "pg_ctlcluster" in result.output
    assert "Traceback" not in result.output


def test_a_refused_role_is_named_as_such_not_as_an_unreachable_server(
    postgres_admin_url: str, redis_url: str
) -> None:
    url = with_user(postgres_admin_url, "no_such_role")
    environment = {"DATABASE_URL": url, "REDIS_URL": redis_url}

    result = CliRunner().invoke(main, ["prestart", "--wait", "30"], env=environment)

    assert result.exit_code == 1
    assert "refused the connection" in result.output
    assert "check the role, password and database name in DATABASE_URL" in result.output
    assert "pg_ctlcluster" not in result.output


def test_an_unreachable_redis_is_a_warning_and_the_database_is_still_migrated(
    database_url: str,
) -> None:
    """The API serves without Redis (README), so `make up` must not refuse to start without it."""
    url = f"redis://127.0.0.1:{free_port()}/0"

    result = CliRunner().invoke(
        main, ["prestart"], env={"DATABASE_URL": database_url, "REDIS_URL": url}
    )

    assert result.exit_code == 0, result.output
    assert "Warning: Redis is not reachable" in result.output
    assert "redis-server" in result.output
    assert "serves without its cache" in result.output
    every_file = [migration.id for migration in load_migrations(Settings().migrations_dir)]
    assert asyncio.run(_ledger_ids(database_url)) == every_file


async def _ledger_ids(url: str) -> list[str]:
    connection = await asyncpg.connect(url)
    try:
        return [row["id"] for row in await connection.fetch("SELECT id FROM schema_migrations")]
    finally:
        await connection.close()


def test_creates_the_database_when_asked(database_factory: DatabaseFactory, redis_url: str) -> None:
    name = f"cm_prestart_{uuid.uuid4().hex[:8]}"
    url = database_factory.reserve(name)

    result = CliRunner().invoke(
        main, ["prestart", "--create-database"], env={"DATABASE_URL": url, "REDIS_URL": redis_url}
    )

    exists = asyncio.run(
        _admin(database_factory.admin_url, "SELECT 1 FROM pg_database WHERE datname = $1", name)
    )
    assert result.exit_code == 0, result.output
    assert f"created database {with_database(database_factory.admin_url, name)}" in result.output
    assert exists == 1


def test_creates_a_database_whose_name_needs_percent_encoding(
    database_factory: DatabaseFactory, redis_url: str
) -> None:
    name = f"cm test {uuid.uuid4().hex[:8]}"
    url = database_factory.reserve(name)
    result = CliRunner().invoke(
        main, ["prestart", "--create-database"], env={"DATABASE_URL": url, "REDIS_URL": redis_url}
    )
    exists = asyncio.run(
        _admin(database_factory.admin_url, "SELECT 1 FROM pg_database WHERE datname = $1", name)
    )

    assert result.exit_code == 0, result.output
    assert exists == 1


async def _admin(admin_url: str, query: str, *args: object) -> object:
    connection = await asyncpg.connect(admin_url)
    try:
        return await connection.fetchval(query, *args)
    finally:
        await connection.close()
