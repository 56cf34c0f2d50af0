"""Registering a key whose text was made elsewhere (the estate's smoke key), idempotently.

`keys create` makes a key and shows it once. Here the key already exists, in a secret store the
service cannot read: a one-off task hands its text in, and only its digest is stored. Running
the same registration again changes nothing; registering a new text under the same name revokes
the keys that name held before, so replacing the secret rotates the key. Whatever refuses (a
revoked key, an id taken by another key or project) refuses before anything is written.
"""

from __future__ import annotations

import enum
import hmac
from collections.abc import Collection
from dataclasses import dataclass

from cloudmetrics.database import Connection
from cloudmetrics.errors import Conflict, InvalidRequest
from cloudmetrics.identity.api_keys import MAX_NAME_LENGTH, parse_scopes
from cloudmetrics.identity.key_format import KeyText
from cloudmetrics.identity.projects import check_project_name


class Registered(enum.StrEnum):
    CREATED = "registered"
    UPDATED = "updated"
    UNCHANGED = "already registered"


@dataclass(frozen=True, slots=True)
class Registration:
    key_id: str
    project: str
    scopes: tuple[str, ...]
    outcome: Registered
    revoked: tuple[str, ...]
    """Ids of the keys of the same name this registration revoked (a rotation)."""

    def summary(self) -> str:
        """One line for the log: ids, project and scopes; never the key."""
        line = f"{self.outcome} key {self.key_id} for project {self.project} "
        line += f"(scopes {','.join(self.scopes)})"
        if self.revoked:
            line += f"; revoked the previous key(s) {', '.join(self.revoked)}"
        return line


_CREATE_PROJECT = "INSERT INTO projects (name) VALUES ($1) ON CONFLICT (name) DO NOTHING"
# The row lock serialises registrations into one project: two at once would each revoke the
# other's key.
_LOCK_PROJECT = "SELECT id FROM projects WHERE name = $1 FOR UPDATE"
_EXISTING = """
SELECT project_id, name, secret_hash, scopes, revoked_at FROM api_keys WHERE id = $1
"""
_INSERT = """
INSERT INTO api_keys (id, project_id, name, secret_hash, scopes) VALUES ($1, $2, $3, $4, $5)
"""
_UPDATE = "UPDATE api_keys SET name = $2, scopes = $3 WHERE id = $1"
_REVOKE_PREVIOUS = """
UPDATE api_keys SET revoked_at = now()
WHERE project_id = $1 AND name = $2 AND id <> $3 AND revoked_at IS NULL
RETURNING id
"""


async def ensure_key(
    connection: Connection,
    key: KeyText,
    *,
    project: str,
    scopes: Collection[str],
    name: str,
) -> Registration:
    """Make `key` the one active key called `name` in `project` (created if missing).

    Call inside a transaction: a refusal raised here must leave nothing behind.
    """
    granted = parse_scopes(scopes)
    check_project_name(project)
    if not name:
        raise InvalidRequest("a registered key needs a --name: rotation revokes by name")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidRequest(f"key names are at most {MAX_NAME_LENGTH} characters")

    await connection.execute(_CREATE_PROJECT, project)
    project_id: int = await connection.fetchval(_LOCK_PROJECT, project)
    outcome = await _store(connection, key, project_id, project, granted, name)
    revoked = await connection.fetch(_REVOKE_PREVIOUS, project_id, name, key.id)
    return Registration(
        key_id=key.id,
        project=project,
        scopes=granted,
        outcome=outcome,
        revoked=tuple(sorted(row["id"] for row in revoked)),
    )


async def _store(
    connection: Connection,
    key: KeyText,
    project_id: int,
    project: str,
    scopes: tuple[str, ...],
    name: str,
) -> Registered:
    existing = await connection.fetchrow(_EXISTING, key.id)
    if existing is None:
        await connection.execute(_INSERT, key.id, project_id, name, key.digest, list(scopes))
        return Registered.CREATED
    # Same id, other secret: another key (or a forgery). Never overwrite a stored digest.
    if not hmac.compare_digest(bytes(existing["secret_hash"]), key.digest):
        raise Conflict(f"another key already has the id {key.id}; nothing was changed")
    if existing["project_id"] != project_id:
        raise Conflict(f"key {key.id} belongs to another project; nothing was changed")
    # A revocation is a decision someone made: registering the same text must not undo it.
    if existing["revoked_at"] is not None:
        raise Conflict(
            f"key {key.id} was revoked; put a new key in the secret instead (docs/runbook.md)"
        )
    if existing["name"] == name and tuple(existing["scopes"]) == scopes:
        return Registered.UNCHANGED
    await connection.execute(_UPDATE, key.id, name, list(scopes))
    return Registered.UPDATED
