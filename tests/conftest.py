"""Suite-wide fixtures: the real PostgreSQL and Redis, and throwaway databases on them."""

from __future__ import annotations

import asyncio

import pytest

from cloudmetrics.settings import Settings
from tests.support.databases import ADMIN_URL, REDIS_URL, DatabaseFactory
from tests.support.services import missing_services


def pytest_sessionstart(session: pytest.Session) -> None:
    problems = missing_services(ADMIN_URL, REDIS_URL)
    if problems:
        pytest.exit(
            "the test suite needs real servers (it reads TEST_POSTGRES_URL and TEST_REDIS_URL, "
            "defaulting to the local ones):\n  " + "\n  ".join(problems),
            returncode=3,
        )


# Dropped in pytest_sessionfinish, not in the fixture's teardown: that would count against
# the last test's timeout, and dropping a few hundred databases (a checkpoint each) takes
# minutes on a loaded machine.
_FACTORIES: list[DatabaseFactory] = []


@pytest.fixture(scope="session")
def database_factory() -> DatabaseFactory:
    factory = DatabaseFactory()
    _FACTORIES.append(factory)
    return factory


def pytest_sessionfinish(session: pytest.Session) -> None:
    while _FACTORIES:
        asyncio.run(_FACTORIES.pop().drop_all())


@pytest.fixture
async def database_url(database_factory: DatabaseFactory) -> str:
    """An empty database of this test's own (dropped with the others at the session's end)."""
    return await database_factory.create()


@pytest.fixture
async def migrated_database_url(database_factory: DatabaseFactory) -> str:
    """A database of this test's own with every migration in migrations/ applied."""
    return await database_factory.create_migrated(Settings().migrations_dir)


@pytest.fixture(scope="session")
def redis_url() -> str:
    return REDIS_URL
