from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudmetrics.app import create_app
from tests.support.settings import make_settings


@pytest.fixture
def database_url(migrated_database_url: str) -> str:
    """The service runs against a database at the migration head, as it does when deployed.

    /ready fails on an unmigrated database (the postgresql:schema check); tests of that live in
    tests/migrations/test_readiness.py.
    """
    return migrated_database_url


@pytest.fixture
async def client(database_url: str, redis_url: str) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = create_app(make_settings(database_url, redis_url, release_id="abc1234"))
    async with AsyncTestClient(app) as test_client:
        yield test_client
