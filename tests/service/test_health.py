"""/health and /ready against the real PostgreSQL and Redis."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient


async def test_liveness_passes_in_health_json(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/health")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/health+json")
    body = response.json()
    assert body["status"] == "pass"
    assert body["releaseId"] == "abc1234"
    assert "checks" not in body


async def test_readiness_reports_each_dependency_with_latency(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await client.get("/ready")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "pass"
    for name in ("postgresql:responseTime", "redis:responseTime"):
        (entry,) = body["checks"][name]
        assert entry["status"] == "pass"
        assert entry["observedUnit"] == "ms"
        assert entry["observedValue"] >= 0
