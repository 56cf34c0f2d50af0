"""Throwaway PostgreSQL databases on the suite's server: created for a test session, dropped at
its end (or removed with the server, when the suite started it).

Tests never touch the `cloudmetrics` database that `make up` serves.
"""

from __future__ import annotations

import itertools
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

from cloudmetrics.migrations.runner import MigrationRunner


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


class DatabaseFactory:
    """Hands out empty databases with names unique to this run, and drops them all at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self._prefix = f"cm_test_{uuid.uuid4().hex[:8]}"
        self._counter = itertools.count()
        self._created: list[str] = []
        self._migrated_template: str | None = None

    async def create(self, label: str = "db", *, template: str = "template1") -> str:
        name = f"{self._prefix}_{label}_{next(self._counter)}"
        connection = await asyncpg.connect(self.admin_url)
        try:
            await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        finally:
            await connection.close()
        self._created.append(name)
        return with_database(self.admin_url, name)

    def reserve(self, name: str) -> str:
        """The URL of database ``name``, not created here but dropped with the others at the
        session's end: for tests of commands that create it. No test drops a database itself,
        since PostgreSQL checkpoints on every DROP DATABASE and other workers wait for it."""
        self._created.append(name)
        return with_database(self.admin_url, quote(name))

    async def create_migrated(self, migrations_dir: str | Path) -> str:
        """A database with every migration applied: a copy of one database migrated per run.

        Copying a template takes about half as long as applying every migration again, and a
        few hundred tests ask for one. The copy is taken after the runner has disconnected, as
        PostgreSQL requires, and carries the ledger, so it is indistinguishable from a database
        migrated in place.
        """
        if self._migrated_template is None:
            url = await self.create("template")
            await MigrationRunner(url, migrations_dir).up()
            self._migrated_template = urlsplit(url).path.lstrip("/")
        return await self.create("migrated", template=self._migrated_template)

    async def drop_all(self) -> None:
        connection = await asyncpg.connect(self.admin_url)
        try:
            for name in self._created:
                await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()
        self._created.clear()
