from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from playwright.sync_api import Browser, sync_playwright

from cloudmetrics.app import create_app
from tests.dashboard.browser import axe_source_present
from tests.support.chromium import LAUNCH_ARGS, ensure_chromium
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


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium under Playwright, one per test module."""
    executable = ensure_chromium()
    axe_source_present()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(executable), args=LAUNCH_ARGS)
        yield launched
        launched.close()
