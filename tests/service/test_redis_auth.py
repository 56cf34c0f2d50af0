"""The service authenticates to Redis (ElastiCache's AUTH token or an RBAC user), tested
against a throwaway redis-server that requires a password."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cloudmetrics.redis_client import REDIS_FAILURES, open_redis, ping
from cloudmetrics.settings import CacheSettings, Settings
from cloudmetrics.startup_waits import DependencyMissing, wait_for_redis
from tests.support.auth_redis import AuthRedis, auth_redis


@pytest.fixture(scope="module")
def server() -> Iterator[AuthRedis]:
    with auth_redis("token-9f1c2e7a5b", "cloudmetrics-app", "user-pass-4d8e") as running:
        yield running


async def answers(settings: CacheSettings) -> bool:
    client = open_redis(settings)
    try:
        return await ping(client)
    finally:
        await client.aclose()


async def test_the_auth_token_from_the_environment_is_used(server: AuthRedis) -> None:
    settings = Settings.from_environ({"REDIS_URL": server.url, "REDIS_PASSWORD": server.password})
    assert await answers(settings.cache)


async def test_an_rbac_user_authenticates_by_name_and_password(server: AuthRedis) -> None:
    settings = Settings.from_environ(
        {
            "REDIS_URL": server.url,
            "REDIS_USERNAME": server.username,
            "REDIS_PASSWORD": server.user_password,
        }
    )
    assert await answers(settings.cache)


async def test_without_the_password_redis_refuses(server: AuthRedis) -> None:
    with pytest.raises(REDIS_FAILURES):
        await answers(CacheSettings(url=server.url))
    with pytest.raises(REDIS_FAILURES):
        await answers(CacheSettings(url=server.url, password="wrong"))


async def test_prestart_waits_for_redis_with_the_password(server: AuthRedis) -> None:
    await wait_for_redis(server.url, timeout=5, password=server.password)
    with pytest.raises(DependencyMissing, match="Redis"):
        await wait_for_redis(server.url, timeout=1)


def test_the_password_is_not_part_of_the_url(server: AuthRedis) -> None:
    settings = Settings.from_environ({"REDIS_URL": server.url, "REDIS_PASSWORD": server.password})
    assert server.password not in settings.cache.url
