"""Throwaway PostgreSQL databases: created for a test session, dropped at its end.

Tests never touch the `cloudmetrics` database that `make up` serves.
"""

from __future__ import annotations

import itertools
import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


class DatabaseFactory:
    """Hands out empty databases with names unique to this run, and drops them all at the end."""

    def __init__(self, admin_url: str = ADMIN_URL) -> None:
        self.admin_url = admin_url
        self._prefix = f"cm_test_{uuid.uuid4().hex[:8]}"
        self._counter = itertools.count()
        self._created: list[str] = []

    async def create(self, label: str = "db") -> str:
        name = f"{self._prefix}_{label}_{next(self._counter)}"
        connection = await asyncpg.connect(self.admin_url)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()
        self._created.append(name)
        return with_database(self.admin_url, name)

    async def drop_all(self) -> None:
        connection = await asyncpg.connect(self.admin_url)
        try:
            for name in self._created:
                await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()
        self._created.clear()
