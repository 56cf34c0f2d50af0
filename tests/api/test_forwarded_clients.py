"""Behind the load balancer the rate limit follows the API key, whatever address a request
claims or comes from."""

from __future__ import annotations

import asyncio

import httpx

from tests.api.live import live_service
from tests.support.identity import issue_key


def _statuses(url: str, key: str, forwarded_for: str, count: int) -> list[int]:
    headers = {"X-Forwarded-For": forwarded_for, "Authorization": f"Bearer {key}"}
    return [httpx.get(f"{url}/v1/metrics", headers=headers).status_code for _ in range(count)]


def test_one_key_from_many_addresses_shares_one_budget(
    migrated_database_url: str, redis_url: str
) -> None:
    key = asyncio.run(issue_key(migrated_database_url)).text
    with live_service(
        migrated_database_url,
        redis_url,
        RATE_LIMIT_PER_MINUTE="2",
        FORWARDED_ALLOW_IPS="127.0.0.1",
    ) as url:
        first = _statuses(url, key, "203.0.113.7", 2)
        # A fresh address, even one the server believes, does not buy the key a fresh budget.
        second = _statuses(url, key, "198.51.100.9", 1)

    assert first == [200, 200]
    assert second == [429]


def test_two_keys_behind_one_address_are_limited_separately(
    migrated_database_url: str, redis_url: str
) -> None:
    first_key = asyncio.run(issue_key(migrated_database_url, "first")).text
    second_key = asyncio.run(issue_key(migrated_database_url, "second")).text
    with live_service(
        migrated_database_url,
        redis_url,
        RATE_LIMIT_PER_MINUTE="2",
        FORWARDED_ALLOW_IPS="127.0.0.1",
    ) as url:
        first = _statuses(url, first_key, "203.0.113.7", 3)
        second = _statuses(url, second_key, "203.0.113.7", 2)

    assert first == [200, 200, 429]
    assert second == [200, 200]
