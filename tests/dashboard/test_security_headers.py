"""Every response carries the security headers: pages, API answers, errors and assets."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudmetrics.http.security_headers import CONTENT_SECURITY_POLICY


def _directives(policy: str) -> dict[str, list[str]]:
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


def test_the_policy_forbids_inline_code_and_framing() -> None:
    directives = _directives(CONTENT_SECURITY_POLICY)
    for directive in ("script-src", "style-src", "default-src"):
        assert directives[directive] == ["'self'"], directive
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "'unsafe-eval'" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/health", "/schema", "/schema/openapi.json", "/no-such-page"])
async def test_headers_on_every_kind_of_response(
    client: AsyncTestClient[Litestar], path: str
) -> None:
    response = await client.get(path)
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert response.headers["x-frame-options"] == "DENY"
    # Plain HTTP (a laptop) never gets HSTS: it would pin the browser to TLS for a year.
    assert "strict-transport-security" not in response.headers


async def test_hsts_only_over_https(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("https://testserver.local/health")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")
