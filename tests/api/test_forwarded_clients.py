"""Behind the load balancer the rate limit follows the API key, whatever address a request
claims or comes from."""

from __future__ import annotations

import asyncio

import httpx

from tests.api.live_service import live_service
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


def _forged(url: str, count: int) -> list[int]:
    """Requests that carry no key (CORS preflights pass authentication without a principal,
    so they are counted per client address), as the ALB forwards them: a client-written entry on
    the left (different each time), then the address the ALB saw."""
    return [
        httpx.options(
            f"{url}/v1/metrics", headers={"X-Forwarded-For": f"192.0.2.{index}, 203.0.113.7"}
        ).status_code
        for index in range(count)
    ]


def test_a_forged_left_most_address_does_not_change_the_rate_limit_key(
    migrated_database_url: str, redis_url: str
) -> None:
    # 127.0.0.0/8 plays the ALB's subnets (the stacks trust their public subnets' CIDRs).
    with live_service(
        migrated_database_url,
        redis_url,
        RATE_LIMIT_PER_MINUTE="2",
        FORWARDED_ALLOW_IPS="127.0.0.0/8",
    ) as url:
        assert _forged(url, 3)[-1] == 429


def test_trusting_every_peer_lets_clients_choose_their_address(
    migrated_database_url: str, redis_url: str
) -> None:
    # What FORWARDED_ALLOW_IPS="*" did in AWS: the left-most entry counts, so each forged
    # address gets a fresh budget and is never limited.
    with live_service(
        migrated_database_url, redis_url, RATE_LIMIT_PER_MINUTE="2", FORWARDED_ALLOW_IPS="*"
    ) as url:
        assert 429 not in _forged(url, 3)
