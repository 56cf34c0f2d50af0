"""Suite-wide fixtures: the suite's PostgreSQL and Redis, and throwaway databases on them.

The servers are looked for (and, where none answers, started) by the fixtures that need them,
not before the run: `pytest tests/infra` needs neither and runs on a machine without them.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from cloudmetrics.local_servers.programs import LocalServersUnavailable
from cloudmetrics.settings import Settings
from tests.support.databases import DatabaseFactory
from tests.support.suite_servers import (
    RUN_DIR_VARIABLE,
    SuitePostgres,
    begin_run,
    end_run,
    suite_postgres,
    suite_redis,
)


def _begins_the_run(config: pytest.Config) -> bool:
    # pytest-xdist's workers carry `workerinput`; the process that starts them does not.
    return not hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    if _begins_the_run(config):
        begin_run()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    run_dir = os.environ.get(RUN_DIR_VARIABLE)
    if run_dir is not None and _begins_the_run(terminalreporter.config):
        used = end_run(Path(run_dir))
        for line in used:
            terminalreporter.write_line(f"servers: {line}")


def pytest_unconfigure(config: pytest.Config) -> None:
    # Reached without a summary when the run is interrupted early.
    run_dir = os.environ.get(RUN_DIR_VARIABLE)
    if run_dir is not None and _begins_the_run(config) and Path(run_dir).exists():
        end_run(Path(run_dir))


@pytest.fixture(scope="session")
def postgres_server() -> SuitePostgres:
    """The suite's PostgreSQL (found, or started on first need)."""
    try:
        return suite_postgres()
    except LocalServersUnavailable as error:
        pytest.fail(f"no PostgreSQL for the tests: {error}", pytrace=False)


@pytest.fixture(scope="session")
def postgres_admin_url(postgres_server: SuitePostgres) -> str:
    return postgres_server.admin_url


# Dropped in pytest_sessionfinish, not in the fixture's teardown: that would count against
# the last test's timeout, and dropping a few hundred databases (a checkpoint each) takes
# minutes on a loaded machine.
_FACTORIES: list[DatabaseFactory] = []


@pytest.fixture(scope="session")
def database_factory(postgres_server: SuitePostgres) -> DatabaseFactory:
    factory = DatabaseFactory(postgres_server.admin_url)
    # A server of the suite's own is removed whole at the end: nothing to drop one by one.
    if not postgres_server.own:
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
    """The suite's Redis (found, or started on first need)."""
    try:
        return suite_redis().url
    except LocalServersUnavailable as error:
        pytest.fail(f"no Redis for the tests: {error}", pytrace=False)
