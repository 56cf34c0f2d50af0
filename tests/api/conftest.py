"""An app on a migrated throwaway database, with Redis keys of its own.

Every app gets its own Redis key prefix: apps of different tests share one Redis, and a
catalogue cached for one database must never answer for another. The `client` sends a read and
write key of the project "acme"; `anonymous_client` sends none.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudmetrics.app import create_app
from cloudmetrics.settings import RateLimitSettings, Settings
from tests.support.identity import IssuedKey, issue_key
from tests.support.settings import make_settings


def api_settings(
    database_url: str,
    redis_url: str,
    *,
    key_prefix: str | None = None,
    rate_limit_per_minute: int = 0,
    **changes: Any,
) -> Settings:
    return make_settings(
        database_url,
        redis_url,
        cache={"key_prefix": key_prefix or f"test-{uuid.uuid4().hex[:12]}:"},
        rate_limit=RateLimitSettings(per_minute=rate_limit_per_minute),
        **changes,
    )


@pytest.fixture
async def settings(migrated_database_url: str, redis_url: str) -> Settings:
    return api_settings(migrated_database_url, redis_url)


@pytest.fixture
async def api_key(migrated_database_url: str) -> IssuedKey:
    """A read and write key of the project "acme"."""
    return await issue_key(migrated_database_url)


@pytest.fixture
async def client(
    settings: Settings, api_key: IssuedKey
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(create_app(settings)) as test_client:
        test_client.headers.update(api_key.headers)
        yield test_client


@pytest.fixture
async def anonymous_client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(create_app(settings)) as test_client:
        yield test_client
