"""API keys of a project: create (the key text is returned once), list, revoke, look up.

Only a key's SHA-256 is stored. These functions take a connection, so the CLI, the key
management endpoints and the request path share them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from cloudmetrics.database import Connection
from cloudmetrics.errors import InvalidRequest, NotFound
from cloudmetrics.identity.key_format import is_key_id, new_key
from cloudmetrics.identity.principal import SCOPES, Scope

MAX_NAME_LENGTH = 200


@dataclass(frozen=True, slots=True)
class ApiKey:
    """What may be shown about a key after its creation: never its secret."""

    id: str
    project_id: int
    name: str
    scopes: tuple[Scope, ...]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def is_active(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: ApiKey
    # The key itself: shown to its creator once, stored nowhere.
    text: str


@dataclass(frozen=True, slots=True)
class StoredKey:
    """What authentication needs: the digest to compare and the grant to hand out."""

    id: str
    project_id: int
    secret_hash: bytes
    scopes: frozenset[Scope]
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


_CREATE = """
INSERT INTO api_keys (id, project_id, name, secret_hash, scopes, expires_at)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id, project_id, name, scopes, created_at, expires_at, revoked_at, last_used_at
"""
_LIST = """
SELECT id, project_id, name, scopes, created_at, expires_at, revoked_at, last_used_at
FROM api_keys WHERE project_id = $1
ORDER BY created_at DESC, id
"""
# Revoking twice keeps the first revocation's time.
_REVOKE = """
UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
WHERE id = $1 AND ($2::bigint IS NULL OR project_id = $2)
RETURNING id, project_id, name, scopes, created_at, expires_at, revoked_at, last_used_at
"""


def parse_scopes(scopes: Collection[str]) -> tuple[Scope, ...]:
    """Known scopes, deduplicated, in a fixed order; InvalidRequest for anything else."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise InvalidRequest(f"unknown scope(s) {', '.join(unknown)}: use read and/or write")
    if not scopes:
        raise InvalidRequest("a key needs at least one scope: read and/or write")
    return tuple(scope for scope in SCOPES if scope in scopes)


async def create_key(
    connection: Connection,
    project_id: int,
    scopes: Collection[str],
    *,
    name: str = "",
    expires_at: datetime | None = None,
) -> CreatedKey:
    granted = parse_scopes(scopes)
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidRequest(f"key names are at most {MAX_NAME_LENGTH} characters")
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise InvalidRequest("the expiry needs a time zone offset")
        if expires_at <= datetime.now(UTC):
            raise InvalidRequest("the expiry must lie in the future")
    text = new_key()
    row = await connection.fetchrow(
        _CREATE,
        text.id,
        project_id,
        name,
        text.digest,
        list(granted),
        expires_at,
    )
    if row is None:  # INSERT ... RETURNING always returns its row
        raise RuntimeError("INSERT INTO api_keys returned no row")
    return CreatedKey(key=_api_key(row), text=text.text)


async def list_keys(connection: Connection, project_id: int) -> list[ApiKey]:
    """Every key of the project, revoked and expired ones included, newest first."""
    rows = await connection.fetch(_LIST, project_id)
    return [_api_key(row) for row in rows]


async def revoke_key(
    connection: Connection, key_id: str, *, project_id: int | None = None
) -> ApiKey:
    """Revoke a key (a no-op for one already revoked). ``project_id`` confines the search to one
    project: a key of another project is then NotFound, exactly like a key that does not exist."""
    if not is_key_id(key_id):
        raise NotFound(f"no API key has the id {key_id!r}")
    row = await connection.fetchrow(_REVOKE, key_id, project_id)
    if row is None:
        raise NotFound(f"no API key has the id {key_id!r}")
    return _api_key(row)


async def stored_key(connection: Connection, key_id: str) -> StoredKey | None:
    row = await connection.fetchrow(
        """
        SELECT id, project_id, secret_hash, scopes, expires_at, revoked_at, last_used_at
        FROM api_keys WHERE id = $1
        """,
        key_id,
    )
    if row is None:
        return None
    return StoredKey(
        id=row["id"],
        project_id=row["project_id"],
        secret_hash=bytes(row["secret_hash"]),
        scopes=frozenset(_scopes(row)),
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
        last_used_at=row["last_used_at"],
    )


async def record_use(connection: Connection, key_id: str, *, at_most_every_seconds: int) -> None:
    """Set last_used_at, unless it was set recently: a write per key a minute, not per request."""
    await connection.execute(
        """
        UPDATE api_keys SET last_used_at = now()
        WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))
        """,
        key_id,
        at_most_every_seconds,
    )


def _scopes(row: asyncpg.Record) -> tuple[Scope, ...]:
    stored: list[str] = row["scopes"]
    return tuple(scope for scope in SCOPES if scope in stored)


def _api_key(row: asyncpg.Record) -> ApiKey:
    return ApiKey(
        id=row["id"],
        project_id=row["project_id"],
        name=row["name"],
        scopes=_scopes(row),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
        last_used_at=row["last_used_at"],
    )
