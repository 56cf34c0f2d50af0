"""`cloudmetrics smoke --expect-release`: a deployment running another release fails."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.api.live_service import live_service
from tests.smoke.test_smoke import smoke
from tests.support.identity import issue_key

RELEASE = "fedcba9876543210fedcba9876543210fedcba98"


@pytest.fixture
def service_url(migrated_database_url: str, redis_url: str) -> Iterator[str]:
    with live_service(migrated_database_url, redis_url, RELEASE_ID=RELEASE) as url:
        yield url


def test_passes_when_health_reports_the_expected_release(
    service_url: str, migrated_database_url: str
) -> None:
    key = asyncio.run(issue_key(migrated_database_url, "smoke")).text
    result = smoke(service_url, "--expect-release", RELEASE, api_key=key)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0].startswith("PASS  health")
    assert f"release {RELEASE}" in result.stdout.splitlines()[0]

    # The old release still answering (a rolled-back deploy) fails, naming both.
    old = "0123456789abcdef0123456789abcdef01234567"
    mismatch = smoke(
        service_url,
        "--expect-release",
        old,
        "--attempts",
        "2",
        "--retry-delay",
        "0.05",
        api_key=key,
    )

    assert mismatch.returncode == 1
    first = mismatch.stdout.splitlines()[0]
    assert first.startswith("FAIL  health")
    assert f"reports release '{RELEASE}', expected '{old}'" in first
    assert "2 attempts" in first
    assert mismatch.stdout.splitlines()[-1].endswith(": health")
