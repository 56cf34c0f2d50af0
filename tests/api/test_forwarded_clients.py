"""Behind the load balancer each client keeps its own rate limit (X-Forwarded-For is believed
from trusted peers only)."""

from __future__ import annotations

import httpx

from tests.api.live import live_service


def _statuses(url: str, forwarded_for: str, count: int) -> list[int]:
    headers = {"X-Forwarded-For": forwarded_for}
    return [httpx.get(f"{url}/v1/metrics", headers=headers).status_code for _ in range(count)]


def test_clients_behind_a_trusted_proxy_are_limited_separately(
    migrated_database_url: str, redis_url: str
) -> None:
    with live_service(
        migrated_database_url,
        redis_url,
        RATE_LIMIT_PER_MINUTE="2",
        FORWARDED_ALLOW_IPS="127.0.0.1",
    ) as url:
        first = _statuses(url, "203.0.113.7", 3)
        second = _statuses(url, "198.51.100.9", 2)

    assert first == [200, 200, 429]
    assert second == [200, 200]


def test_forwarded_addresses_from_untrusted_peers_are_ignored(
    migrated_database_url: str, redis_url: str
) -> None:
    with live_service(
        migrated_database_url,
        redis_url,
        RATE_LIMIT_PER_MINUTE="2",
        FORWARDED_ALLOW_IPS="192.0.2.1",
    ) as url:
        first = _statuses(url, "203.0.113.7", 2)
        # A different claimed address does not buy a fresh budget: the peer is not trusted.
        second = _statuses(url, "198.51.100.9", 1)

    assert first == [200, 200]
    assert second == [429]


def _forged(url: str, count: int) -> list[int]:
    """Requests as the ALB forwards them: a client-written entry on the left (different each
    time), then the address the ALB saw, appended on the right."""
    return [
        httpx.get(
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
        assert _forged(url, 3) == [200, 200, 429]


def test_trusting_every_peer_lets_clients_choose_their_address(
    migrated_database_url: str, redis_url: str
) -> None:
    # What FORWARDED_ALLOW_IPS="*" did in AWS: the left-most entry counts, so each forged
    # address gets a fresh budget.
    with live_service(
        migrated_database_url, redis_url, RATE_LIMIT_PER_MINUTE="2", FORWARDED_ALLOW_IPS="*"
    ) as url:
        assert _forged(url, 3) == [200, 200, 200]
