"""`cloudmetrics smoke` as the pipeline runs it: a subprocess against a real server."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.api.live_service import live_service
from tests.support.identity import issue_key
from tests.support.ports import free_port
from tests.support.server import REPOSITORY

# Well-formed, but no service knows it.
UNKNOWN_KEY = "cm_0123456789abcdef_" + "x" * 43


def smoke(
    url: str, *extra: str, api_key: str | None = UNKNOWN_KEY
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "CLOUDMETRICS_API_KEY"}
    if api_key is not None:
        environment["CLOUDMETRICS_API_KEY"] = api_key
    return subprocess.run(
        [sys.executable, "-m", "cloudmetrics", "smoke", "--url", url, *extra],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def service_url(migrated_database_url: str, redis_url: str) -> Iterator[str]:
    with live_service(migrated_database_url, redis_url) as url:
        yield url


@pytest.fixture
def smoke_key(migrated_database_url: str) -> str:
    return asyncio.run(issue_key(migrated_database_url, "smoke")).text


def test_passes_against_a_healthy_service(service_url: str, smoke_key: str) -> None:
    result = smoke(service_url, api_key=smoke_key)

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[:2] for line in lines[:4]] == [
        ["PASS", "health"],
        ["PASS", "ready"],
        ["PASS", "openapi"],
        ["PASS", "round-trip"],
    ]
    assert lines[4] == f"smoke passed against {service_url}: 4 checks"


def test_each_run_writes_its_own_metric(service_url: str, smoke_key: str) -> None:
    first, second = smoke(service_url, api_key=smoke_key), smoke(service_url, api_key=smoke_key)

    assert first.returncode == second.returncode == 0
    metrics = re.findall(r"smoke\.[0-9a-f]{32}", first.stdout + second.stdout)
    assert len(metrics) == 2
    assert metrics[0] != metrics[1]


def test_fails_with_every_check_named_when_nothing_listens() -> None:
    url = f"http://127.0.0.1:{free_port()}"

    result = smoke(url, "--attempts", "2", "--retry-delay", "0.05", "--timeout", "1")

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert [line.split()[:2] for line in lines[:4]] == [
        ["FAIL", "health"],
        ["FAIL", "ready"],
        ["FAIL", "openapi"],
        ["FAIL", "round-trip"],
    ]
    assert "ConnectError" in lines[0]
    assert "2 attempts" in lines[0]
    assert lines[4] == f"smoke FAILED against {url}: health, ready, openapi, round-trip"


def test_names_the_failing_checks_when_the_database_is_down(redis_url: str) -> None:
    """A service that is alive but cannot reach PostgreSQL: liveness passes, the rest fail."""
    nothing_there = f"postgresql://postgres@127.0.0.1:{free_port()}/cloudmetrics"
    with live_service(nothing_there, redis_url) as url:
        result = smoke(url, "--attempts", "1", "--timeout", "3")

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("PASS  health")
    assert lines[1].startswith("FAIL  ready")
    assert "503" in lines[1]
    assert "postgresql:responseTime fail" in lines[1]
    assert lines[3].startswith("FAIL  round-trip")
    assert lines[-1].endswith(": ready, round-trip")


def test_says_clearly_when_the_key_is_missing(service_url: str) -> None:
    result = smoke(service_url, api_key=None)

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("PASS  health")
    assert lines[3].startswith("FAIL  round-trip  CLOUDMETRICS_API_KEY is not set")
    assert lines[-1].endswith(": round-trip")


def test_a_refused_key_is_named_in_the_round_trip(service_url: str) -> None:
    result = smoke(service_url)

    assert result.returncode == 1
    round_trip = result.stdout.splitlines()[3]
    assert round_trip.startswith("FAIL  round-trip  POST /v1/metrics -> 401")
    assert "unknown API key" in round_trip
    # Whatever the service says, the key itself never reaches the output.
    assert UNKNOWN_KEY not in result.stdout + result.stderr


def test_refuses_a_url_without_a_scheme() -> None:
    result = smoke("127.0.0.1:8000")

    assert result.returncode == 2
    assert "http:// or https://" in result.stderr
