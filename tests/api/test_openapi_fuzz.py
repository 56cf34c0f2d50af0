"""Property-based requests generated from the served OpenAPI schema: none may end in a 5xx,
and every answer must match what the schema documents (status code, content type, body), so
errors really are the problem details the schema promises.

Runs against a real `cloudmetrics serve` process, so the whole stack (uvicorn, Litestar,
asyncpg, Redis) sees the generated requests, valid ("positive") and invalid ("negative").
Schemathesis's pytest plugin (`from_fixture`) does not run under this pytest version, so the
test drives Hypothesis with each operation's strategy directly.
"""

# Schemathesis's generics are only partly annotated; this file is the boundary with them.
# pyright: reportUnknownMemberType=false, reportUnknownVariableType=false
# pyright: reportUnknownArgumentType=false

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.generation.case import Case
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

from cloudmetrics.migrations.runner import MigrationRunner
from cloudmetrics.settings import Settings
from tests.api.live_service import live_service
from tests.support.databases import DatabaseFactory
from tests.support.identity import issue_key

EXAMPLES_PER_OPERATION = 30
# The module server's read and write key, sent with every generated request.
_KEY_HEADERS: dict[str, str] = {}
SEEDED_METRIC = "cpu.load"

# Every operation of the schema, and whether invalid input can be generated for it.
OPERATIONS = {
    "GET /health": False,
    "GET /ready": False,
    "GET /v1/metrics": True,
    "POST /v1/metrics": True,
    "GET /v1/metrics/{name}/series": True,
    "GET /v1/metrics/{name}/groups": True,
    "GET /v1/metrics/{name}/tags": True,
    # The protocols: their bodies are binary or text the schema does not describe; the
    # generated requests exercise parameters, headers and empty or stray bodies.
    "POST /api/v1/write": False,
    "POST /api/v1/read": False,
    "GET /api/v1/labels": False,
    "POST /api/v1/labels": False,
    "GET /api/v1/label/{label}/values": True,
    "POST /api/v1/label/{label}/values": True,
    "GET /api/v1/series": False,
    "POST /api/v1/series": False,
    "GET /api/v1/metadata": True,
    "POST /otlp/v1/metrics": False,
    "POST /api/v2/write": True,
    "POST /write": True,
}


@pytest.fixture(scope="module")
def api_schema(database_factory: DatabaseFactory, redis_url: str) -> Iterator[OpenApiSchema]:
    """One server for the module, with a metric that has points, so that generated series
    queries reach the database rather than stopping at a 404. Every generated request carries
    a read and write key (schemathesis sends the headers given to the schema)."""

    async def migrated() -> tuple[str, dict[str, str]]:
        url = await database_factory.create("fuzz")
        await MigrationRunner(url, Settings().migrations_dir).up()
        return url, (await issue_key(url)).headers

    database_url, headers = asyncio.run(migrated())
    with live_service(database_url, redis_url, RATE_LIMIT_PER_MINUTE="0") as url:
        _seed(url, headers)
        schema = schemathesis.openapi.from_url(f"{url}/schema/openapi.json")
        _KEY_HEADERS.update(headers)
        yield schema


def _operations(schema: OpenApiSchema) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]  # pyright: ignore[reportAttributeAccessIssue]


def _seed(url: str, headers: dict[str, str]) -> None:
    moment = datetime.now(UTC)
    points: list[dict[str, Any]] = [
        {
            "name": SEEDED_METRIC,
            "timestamp": (moment - timedelta(minutes=minutes)).isoformat(),
            "value": float(minutes),
            "tags": {"host": f"h{minutes % 3}"},
        }
        for minutes in range(120)
    ]
    response = httpx.post(f"{url}/v1/metrics", json={"points": points}, headers=headers, timeout=10)
    assert response.status_code == 201, response.text


def _run(
    schema: OpenApiSchema,
    label: str,
    mode: GenerationMode,
    adjust: Callable[[Case[Any]], Case[Any]] = lambda case: case,
    **fixed: Any,
) -> None:
    operation = schema.find_operation_by_label(label)
    assert operation is not None, label

    @given(case=operation.as_strategy(generation_mode=mode, **fixed).map(adjust))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def conforms(case: Case[Any]) -> None:
        case.call_and_validate(
            headers=_KEY_HEADERS,
            checks=[
                not_a_server_error,
                status_code_conformance,
                content_type_conformance,
                response_schema_conformance,
            ],
        )

    conforms()


def test_every_operation_is_fuzzed(api_schema: OpenApiSchema) -> None:
    labels = {operation.label for operation in _operations(api_schema)}

    assert labels == set(OPERATIONS)


@pytest.mark.parametrize("label", list(OPERATIONS))
def test_valid_requests_get_no_server_error(api_schema: OpenApiSchema, label: str) -> None:
    _run(api_schema, label, GenerationMode.POSITIVE)


@pytest.mark.parametrize("label", [label for label, negative in OPERATIONS.items() if negative])
def test_invalid_requests_get_no_server_error(api_schema: OpenApiSchema, label: str) -> None:
    _run(api_schema, label, GenerationMode.NEGATIVE)


def _timestamps_in_window(case: Case[Any]) -> Case[Any]:
    """Generated timestamps almost never fall in the accepted window, so without this nearly
    every batch would stop at validation and the COPY path would go unexplored."""
    body: Any = case.body
    points: Any = body.get("points") if isinstance(body, dict) else None
    if isinstance(points, list):
        recent = (datetime.now(UTC) - timedelta(seconds=30)).isoformat()
        for point in cast("list[Any]", points):
            if isinstance(point, dict) and "timestamp" in point:
                point["timestamp"] = recent
    return case


def test_valid_batches_in_the_window_get_no_server_error(api_schema: OpenApiSchema) -> None:
    _run(api_schema, "POST /v1/metrics", GenerationMode.POSITIVE, _timestamps_in_window)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_queries_of_a_metric_with_points_get_no_server_error(
    api_schema: OpenApiSchema, mode: GenerationMode
) -> None:
    _run(
        api_schema,
        "GET /v1/metrics/{name}/series",
        mode,
        path_parameters={"name": SEEDED_METRIC},
    )
