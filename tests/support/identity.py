"""Projects and API keys made directly in a test's database, through the domain functions."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from cloudmetrics.database import Connection
from cloudmetrics.identity.api_keys import create_key
from cloudmetrics.identity.projects import create_project


@dataclass(frozen=True)
class IssuedKey:
    project_id: int
    key_id: str
    text: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.text}"}


async def issue_key(
    database_url: str,
    project: str = "acme",
    scopes: Collection[str] = ("read", "write"),
    *,
    expires_at: datetime | None = None,
) -> IssuedKey:
    """A new key for ``project``, created if it does not exist yet."""
    connection: Connection = await asyncpg.connect(database_url)
    try:
        project_id = await connection.fetchval("SELECT id FROM projects WHERE name = $1", project)
        if project_id is None:
            project_id = (await create_project(connection, project)).id
        created = await create_key(connection, project_id, scopes, expires_at=expires_at)
    finally:
        await connection.close()
    return IssuedKey(project_id=project_id, key_id=created.key.id, text=created.text)


async def revoke(database_url: str, key_id: str) -> None:
    connection: Connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("UPDATE api_keys SET revoked_at = now() WHERE id = $1", key_id)
    finally:
        await connection.close()


async def expire(database_url: str, key_id: str) -> None:
    """Move a key's expiry into the past (the API refuses to create such a key)."""
    connection: Connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1", key_id
        )
    finally:
        await connection.close()


PASSWORD = "correct horse battery staple"


async def add_user(
    database_url: str, email: str, project: str = "acme", role: str = "owner"
) -> None:
    """A user of ``project`` (created if missing) with the password PASSWORD."""
    from cloudmetrics.identity.users import create_user

    connection: Connection = await asyncpg.connect(database_url)
    try:
        project_id = await connection.fetchval("SELECT id FROM projects WHERE name = $1", project)
        if project_id is None:
            project_id = (await create_project(connection, project)).id
        await create_user(
            connection,
            email,
            PASSWORD,
            project_id=project_id,
            role="owner" if role == "owner" else "member",
        )
    finally:
        await connection.close()
