"""HTTP conventions every route shares: problem details, request ids, the OpenAPI schema."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from cloudmetrics.app import create_app
from tests.support.settings import make_settings


@get("/test/boom")
async def boom() -> None:
    raise RuntimeError("secret internal detail")


@get("/test/missing-file")
async def missing_file() -> None:
    # An OSError that is our own bug, not an unreachable dependency.
    raise FileNotFoundError("/secret/internal/path")


@pytest.fixture
async def client_with_failing_route(
    database_url: str, redis_url: str
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = create_app(
        make_settings(database_url, redis_url), extra_route_handlers=[boom, missing_file]
    )
    async with AsyncTestClient(app) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/no/such/route", 404), ("POST", "/health", 405)],
)
async def test_routing_errors_are_problem_details(
    client: AsyncTestClient[Litestar], method: str, path: str, status: int
) -> None:
    response = await client.request(method, path)

    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert body["title"]
    assert response.headers["x-request-id"]


async def test_unexpected_errors_are_500_problem_details_without_internals(
    client_with_failing_route: AsyncTestClient[Litestar],
) -> None:
    response = await client_with_failing_route.get("/test/boom")

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "an unexpected error occurred"
    assert "secret" not in response.text


async def test_an_oserror_from_a_handler_is_a_500_not_a_dependency_outage(
    client_with_failing_route: AsyncTestClient[Litestar],
) -> None:
    response = await client_with_failing_route.get("/test/missing-file")

    assert response.status_code == 500
    assert response.json()["type"] == "about:blank"
    assert "retry-after" not in response.headers
    assert "secret" not in response.text


async def test_request_id_is_generated_or_taken_from_the_caller(
    client: AsyncTestClient[Litestar],
) -> None:
    generated = await client.get("/health")
    echoed = await client.get("/health", headers={"X-Request-ID": "alb-1234.abc"})
    refused = await client.get("/health", headers={"X-Request-ID": "bad id\twith\ttabs"})

    assert len(generated.headers["x-request-id"]) == 32
    assert echoed.headers["x-request-id"] == "alb-1234.abc"
    assert refused.headers["x-request-id"] != "bad id\twith\ttabs"


async def test_openapi_schema_is_served(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/schema/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "CloudMetrics API"
    assert {"/health", "/ready"} <= set(schema["paths"])


@pytest.mark.parametrize("path", ["/health", "/ready", "/schema/openapi.json"])
async def test_head_answers_like_get_without_a_body(
    client: AsyncTestClient[Litestar], path: str
) -> None:
    got = await client.get(path)
    head = await client.head(path)

    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    # What GET would send (compressed, if GET's answer was); /ready's body carries timings, so
    # only its presence is comparable.
    assert head.headers.get("content-encoding") == got.headers.get("content-encoding")
    if path != "/ready":
        assert head.headers["content-length"] == got.headers["content-length"]
    assert int(head.headers["content-length"]) > 0


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/v1/metrics", "GET, HEAD, OPTIONS, POST"),
        ("/v1/metrics/cpu.load/series", "GET, HEAD, OPTIONS"),
        ("/health", "GET, HEAD, OPTIONS"),
    ],
)
async def test_options_lists_every_method_of_the_path(
    client: AsyncTestClient[Litestar], path: str, allow: str
) -> None:
    response = await client.options(path)

    assert response.status_code == 204
    assert response.headers["allow"] == allow
