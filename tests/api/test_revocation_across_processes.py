"""A revoked key stops working on every task within 5 s: two `cloudmetrics serve` processes on
one database, both having just used (and cached) the key."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.api.live_service import live_service
from tests.support.identity import issue_key, revoke

PROMISE_SECONDS = 5.0


def _status(url: str, key: str) -> int:
    response = httpx.get(f"{url}/v1/metrics", headers={"Authorization": f"Bearer {key}"})
    return response.status_code


def test_a_revoked_key_is_refused_by_every_process_within_five_seconds(
    migrated_database_url: str, redis_url: str
) -> None:
    key = asyncio.run(issue_key(migrated_database_url))
    with (
        live_service(migrated_database_url, redis_url) as first,
        live_service(migrated_database_url, redis_url) as second,
    ):
        assert [_status(first, key.text), _status(second, key.text)] == [200, 200]

        asyncio.run(revoke(migrated_database_url, key.key_id))
        revoked_at = time.monotonic()
        refused_after: dict[str, float] = {}
        while len(refused_after) < 2 and time.monotonic() - revoked_at < PROMISE_SECONDS + 2:
            for url in (first, second):
                if url not in refused_after and _status(url, key.text) == 401:
                    refused_after[url] = time.monotonic() - revoked_at
            time.sleep(0.1)

    assert set(refused_after) == {first, second}, refused_after
    assert max(refused_after.values()) <= PROMISE_SECONDS, refused_after
