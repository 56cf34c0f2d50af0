"""The OpenAPI document describes errors as the service sends them: problem details."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

Client = AsyncTestClient[Litestar]


async def _schema(client: Client) -> dict[str, Any]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


async def test_metrics_errors_are_documented_as_problem_details(client: Client) -> None:
    paths = (await _schema(client))["paths"]
    expected = {
        ("/v1/metrics", "post"): {"400", "401", "403", "408", "413", "429", "503"},
        ("/v1/metrics", "get"): {"400", "401", "403", "429", "503"},
        ("/v1/metrics/{name}/series", "get"): {"400", "401", "403", "404", "429", "503"},
    }
    for (path, method), statuses in expected.items():
        responses = paths[path][method]["responses"]
        assert statuses <= set(responses), (path, method)
        for status in statuses:
            content = responses[status]["content"]
            assert set(content) == {"application/problem+json"}, (path, method, status)
            assert content["application/problem+json"]["schema"]["$ref"].endswith("/Problem")


async def test_readiness_documents_its_503_report(client: Client) -> None:
    ready = (await _schema(client))["paths"]["/ready"]["get"]["responses"]

    assert set(ready["503"]["content"]) == {"application/health+json"}


async def test_the_api_declares_bearer_key_security(client: Client) -> None:
    schema = await _schema(client)

    scheme = schema["components"]["securitySchemes"]["apiKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            secured = operation.get("security") == [{"apiKey": []}]
            # Our API and the protocols' endpoints take keys; probes and the schema do not.
            keyed = path.startswith(("/v1/", "/api/v1/", "/api/v2/", "/otlp/")) or path == "/write"
            assert secured is keyed, (path, method)
