from __future__ import annotations

from collections.abc import AsyncIterator, Generator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudmetrics.app import create_app
from tests.support.settings import make_settings


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the test, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
async def client(
    migrated_database_url: str, redis_url: str
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = create_app(make_settings(migrated_database_url, redis_url))
    async with AsyncTestClient(app) as test_client:
        yield test_client
