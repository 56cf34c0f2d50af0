"""Logs are JSON lines, and every line of a request carries its request id."""

from __future__ import annotations

import json

import pytest
from litestar.testing import AsyncTestClient

from cloudmetrics.app import create_app
from cloudmetrics.settings import LogSettings
from tests.support.settings import make_settings


async def test_access_log_is_json_with_the_request_id(
    database_url: str, redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(database_url, redis_url, log=LogSettings(level="INFO"))
    async with AsyncTestClient(create_app(settings)) as client:
        capsys.readouterr()
        response = await client.get("/no/such/route", headers={"X-Request-ID": "trace-42"})

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    access = [line for line in lines if line.get("event") == "request"]
    assert response.status_code == 404
    assert access, lines
    assert access[0]["request_id"] == "trace-42"
    assert access[0]["status"] == 404
    assert access[0]["path"] == "/no/such/route"
    assert "timestamp" in access[0]


async def test_probe_requests_are_not_access_logged(
    database_url: str, redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(database_url, redis_url, log=LogSettings(level="INFO"))
    async with AsyncTestClient(create_app(settings)) as client:
        capsys.readouterr()
        await client.get("/health")

    assert '"event": "request"' not in capsys.readouterr().out
