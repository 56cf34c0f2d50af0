"""The service running for a browser: uvicorn in a thread of the test process, on a free port,
against a throwaway database holding one project and some points."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import uvicorn
from click.testing import CliRunner

from cloudmetrics.app import create_app
from cloudmetrics.cli import main
from cloudmetrics.migrations.runner import MigrationRunner
from cloudmetrics.settings import Settings
from tests.support.databases import DatabaseFactory
from tests.support.identity import IssuedKey, issue_key
from tests.support.ports import free_port
from tests.support.settings import make_settings

EMAIL = "ada@example.com"
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Served:
    url: str
    key: IssuedKey


def sample_points(now: datetime) -> list[dict[str, object]]:
    """cpu.load every 2 minutes over the last hour but for a 10-minute gap; two other metrics."""
    points: list[dict[str, Any]] = [
        {
            "name": "cpu.load",
            "timestamp": (now - timedelta(minutes=minutes)).isoformat(),
            "value": 1.0 + (minutes % 7) / 10,
            "tags": {"host": "web-1" if minutes % 4 == 1 else "web-2"},
        }
        for minutes in range(1, 60, 2)
        if not 20 <= minutes < 30
    ]
    points += [
        {"name": "cpu.idle", "timestamp": now.isoformat(), "value": 0.5, "tags": {}},
        {"name": "http.requests", "timestamp": now.isoformat(), "value": 3, "tags": {}},
    ]
    return points


@contextmanager
def served_dashboard(database_url: str, redis_url: str, key: IssuedKey) -> Generator[Served]:
    # A Redis prefix of its own: sign-in attempts are counted per account for 15 minutes, and
    # runs close together must not spend each other's budget.
    prefix = f"dashboard-test-{secrets.token_hex(6)}:"
    app = create_app(make_settings(database_url, redis_url, cache={"key_prefix": prefix}))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="dashboard-server", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the dashboard's server did not start")
            time.sleep(0.05)
        written = httpx.post(
            f"{url}/v1/metrics",
            json={"points": sample_points(datetime.now(UTC))},
            headers=key.headers,
            timeout=30,
        )
        written.raise_for_status()
        yield Served(url=url, key=key)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def create_owner(database_url: str) -> None:
    """The person signing in, created as an operator would: the CLI, the password on stdin."""
    created = CliRunner().invoke(
        main,
        ["users", "create", EMAIL, "--project", "acme", "--role", "owner", "--password-stdin"],
        input=f"{PASSWORD}\n",
        env={"DATABASE_URL": database_url},
    )
    assert created.exit_code == 0, created.output


@contextmanager
def served_with_owner(
    database_factory: DatabaseFactory, redis_url: str, database_name: str
) -> Generator[Served]:
    """A migrated database of its own with project `acme`, its key and its owner, served."""

    async def prepare() -> tuple[str, IssuedKey]:
        url = await database_factory.create(database_name)
        await MigrationRunner(url, Settings().migrations_dir).up()
        return url, await issue_key(url, "acme")

    # In a thread of its own: a running event loop (pytest-asyncio's, Playwright's) may own this
    # one.
    with ThreadPoolExecutor(max_workers=1) as executor:
        database_url, key = executor.submit(asyncio.run, prepare()).result()
        executor.submit(create_owner, database_url).result()
    with served_dashboard(database_url, redis_url, key) as running:
        yield running
