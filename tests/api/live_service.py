"""The service as a real process (`cloudmetrics serve`) on a migrated throwaway database."""

from __future__ import annotations

import uuid
from collections.abc import Generator
from contextlib import contextmanager

from tests.support.server import running_server


def service_environment(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        # Keys of its own in the shared Redis: no other test's cache or counters.
        "REDIS_KEY_PREFIX": f"test-{uuid.uuid4().hex[:12]}:",
        "LOG_LEVEL": "WARNING",
        "DATABASE_ACQUIRE_TIMEOUT": "1",
        **extra,
    }


@contextmanager
def live_service(database_url: str, redis_url: str, **extra: str) -> Generator[str]:
    """Yield the base URL of a running server."""
    with running_server(service_environment(database_url, redis_url, **extra)) as served:
        yield served.url
