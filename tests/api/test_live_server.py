"""What only a real server process shows: body limits on a chunked upload without a
Content-Length, and the API under uvicorn end to end."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import pytest

from tests.api.database import point_count
from tests.api.live_service import live_service
from tests.api.points import batch, now, point
from tests.support.identity import IssuedKey


@pytest.fixture
def service_url(migrated_database_url: str, redis_url: str) -> Iterator[str]:
    with live_service(migrated_database_url, redis_url, INGEST_MAX_BODY_BYTES="2000") as url:
        yield url


async def _chunks(body: bytes, size: int = 300) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def _post_chunked(url: str, body: bytes, size: int, key: IssuedKey) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(
            f"{url}/v1/metrics",
            content=_chunks(body, size),
            headers={"content-type": "application/json", **key.headers},
        )


async def test_chunked_body_past_the_limit_is_413(
    service_url: str, migrated_database_url: str, api_key: IssuedKey
) -> None:
    body = json.dumps(batch(*[point("big.batch") for _ in range(40)])).encode()
    assert len(body) > 2000

    response = await _post_chunked(service_url, body, 300, api_key)

    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 413, response.text
    assert response.json()["type"].endswith("/payload-too-large")
    assert await point_count(migrated_database_url) == 0


async def test_chunked_body_within_the_limit_is_written(
    service_url: str, migrated_database_url: str, api_key: IssuedKey
) -> None:
    later = now() - timedelta(seconds=30)
    body = json.dumps(batch(point("small.batch"), point("small.batch", at=later))).encode()

    response = await _post_chunked(service_url, body, 50, api_key)

    assert response.status_code == 201, response.text
    assert await point_count(migrated_database_url) == 2
