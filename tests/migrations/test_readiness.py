"""/ready's postgresql:schema check: at head passes, behind fails, ahead only warns."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncGenerator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudmetrics.app import create_app
from cloudmetrics.migrations.runner import MigrationRunner
from tests.migrations.schema import write_migration
from tests.support.settings import make_settings

ReadyProbe = Callable[[str, Path], AbstractAsyncContextManager[tuple[int, dict[str, Any]]]]


@pytest.fixture
def ready(redis_url: str) -> ReadyProbe:
    """GET /ready of an app on ``url`` whose code ships the migrations in ``folder``."""

    @asynccontextmanager
    async def probe(url: str, folder: Path) -> AsyncGenerator[tuple[int, dict[str, Any]]]:
        app = create_app(make_settings(url, redis_url, migrations_dir=str(folder)))
        async with AsyncTestClient[Litestar](app) as client:
            response = await client.get("/ready")
            yield response.status_code, response.json()

    return probe


def _schema(body: dict[str, Any]) -> dict[str, Any]:
    (entry,) = body["checks"]["postgresql:schema"]
    return entry


async def test_passes_at_the_migration_head(
    ready: ReadyProbe, migrated_database_url: str, migrations_dir: Path
) -> None:
    async with ready(migrated_database_url, migrations_dir) as (status, body):
        assert status == 200
        assert _schema(body)["status"] == "pass"
        assert body["status"] == "pass"


async def test_fails_on_a_database_never_migrated(
    ready: ReadyProbe, database_url: str, migrations_dir: Path
) -> None:
    async with ready(database_url, migrations_dir) as (status, body):
        assert status == 503
        assert _schema(body)["status"] == "fail"
        assert "never migrated" in _schema(body)["output"]
        # The database itself answers: only the schema check fails.
        assert body["checks"]["postgresql:responseTime"][0]["status"] == "pass"


async def test_fails_when_the_code_has_pending_migrations(
    ready: ReadyProbe, migrated_database_url: str, migrations_dir: Path
) -> None:
    write_migration(migrations_dir, "0900_add_units", "ALTER TABLE metrics ADD COLUMN unit text;")

    async with ready(migrated_database_url, migrations_dir) as (status, body):
        assert status == 503
        assert _schema(body)["status"] == "fail"
        assert "0900" in _schema(body)["output"]


@pytest.fixture
def old_release(migrations_dir: Path, tmp_path: Path) -> Path:
    """The migrations of the release before ``migrations_dir``, which gains 0900."""
    folder = tmp_path / "old-release"
    shutil.copytree(migrations_dir, folder)
    write_migration(migrations_dir, "0900_add_units", "ALTER TABLE metrics ADD COLUMN unit text;")
    return folder


async def test_only_warns_when_the_database_is_ahead_of_the_code(
    ready: ReadyProbe, database_url: str, migrations_dir: Path, old_release: Path
) -> None:
    # The new release migrated the database; an old task (without 0900) still serves on it.
    await MigrationRunner(database_url, migrations_dir).up()

    async with ready(database_url, old_release) as (status, body):
        assert status == 200
        assert _schema(body)["status"] == "warn"
        assert "ahead" in _schema(body)["output"]
        assert body["status"] == "warn"


async def test_the_code_migrations_are_read_once_not_per_probe(
    redis_url: str, migrated_database_url: str, migrations_dir: Path
) -> None:
    app = create_app(
        make_settings(migrated_database_url, redis_url, migrations_dir=str(migrations_dir))
    )
    async with AsyncTestClient[Litestar](app) as client:
        first = await client.get("/ready")
        # A probe must not touch the disk: remove the files and probe again.
        await asyncio.to_thread(shutil.rmtree, migrations_dir)
        second = await client.get("/ready")

    assert first.status_code == second.status_code == 200
    assert _schema(second.json())["status"] == "pass"
