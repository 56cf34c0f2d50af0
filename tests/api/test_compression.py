"""gzip where people load pages in a browser, never on the API.

Each answer here is over compression.MINIMUM_SIZE, and every request accepts gzip, so only the
route decides whether the answer is compressed. (The probes' answers are under that size: that
they carry no compression layer at all shows in benchmarks/health.py, not here.)
"""

from __future__ import annotations

from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudmetrics.http.compression import MINIMUM_SIZE
from tests.api.points import batch, now, point

Client = AsyncTestClient[Litestar]
GZIP = {"accept-encoding": "gzip"}


async def _get(client: Client, path: str) -> tuple[str | None, int]:
    """The answer's content-encoding and its size once decoded."""
    response = await client.get(path, headers=GZIP)
    assert response.status_code == 200, (path, response.text)
    return response.headers.get("content-encoding"), len(response.content)


async def test_pages_and_the_api_docs_are_gzipped(client: Client) -> None:
    for path in ("/", "/schema/openapi.json"):
        encoding, size = await _get(client, path)
        assert size >= MINIMUM_SIZE, path
        assert encoding == "gzip", path


async def test_the_api_is_not(client: Client) -> None:
    at = now() - timedelta(minutes=5)
    names = [f"compression.check.metric_with_a_long_name_{index:03d}" for index in range(40)]
    written = await client.post("/v1/metrics", json=batch(*(point(n, at=at) for n in names)))
    assert written.status_code == 201, written.text

    encoding, size = await _get(client, "/v1/metrics")
    assert size >= MINIMUM_SIZE
    assert encoding is None
