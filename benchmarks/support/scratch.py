"""A throwaway database for one benchmark run: created, migrated, given a project and a key,
then dropped, whatever happens in between."""

from __future__ import annotations

import asyncio
import os
import secrets
import uuid
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from cloudmetrics.identity.api_keys import create_key
from cloudmetrics.identity.projects import create_project
from cloudmetrics.migrations.runner import MigrationRunner
from cloudmetrics.settings import Settings

ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass(frozen=True)
class Scratch:
    """The database, the project the benchmark writes into, and its read and write key."""

    name: str
    url: str
    project_id: int
    key: str
    session_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def server_environment(self, *, workers: int = 1, **extra: str) -> dict[str, str]:
        """What a benchmark's server runs with: this database, Redis under a prefix of its own,
        no rate limit (the load would trip it), and quiet logs."""
        return {
            "DATABASE_URL": self.url,
            "REDIS_URL": REDIS_URL,
            "REDIS_KEY_PREFIX": f"bench-{self.name}:",
            "WEB_CONCURRENCY": str(workers),
            "RATE_LIMIT_PER_MINUTE": "0",
            "LOG_LEVEL": "WARNING",
            # One secret for every worker, as a deployment has: without it each process makes
            # its own and warns that CSRF tokens do not cross processes.
            "SESSION_SECRET": self.session_secret,
            **extra,
        }


@contextmanager
def scratch_database(prefix: str = "cm_bench", project: str = "bench") -> Generator[Scratch]:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    url = database_url(name)
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        project_id, key = asyncio.run(_prepare(url, project))
        yield Scratch(name=name, url=url, project_id=project_id, key=key)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def database_url(name: str) -> str:
    """The URL of database ``name`` on the server ADMIN_URL names."""
    return urlunsplit(urlsplit(ADMIN_URL)._replace(path=f"/{name}"))


async def admin(statement: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def analyze(url: str) -> None:
    """Statistics as autovacuum would leave them after a bulk load."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def _prepare(url: str, project: str) -> tuple[int, str]:
    await MigrationRunner(url, Settings().migrations_dir).up()
    connection = await asyncpg.connect(url)
    try:
        created_project = await create_project(connection, project)
        created_key = await create_key(connection, created_project.id, ["read", "write"])
    finally:
        await connection.close()
    return created_project.id, created_key.text
