"""The key half of `Accounts`: a signed-in owner's project keys, through identity's functions."""

from __future__ import annotations

from datetime import UTC, datetime

from cloudmetrics.dashboard.accounts import KeySummary, Viewer
from cloudmetrics.identity import api_keys
from cloudmetrics.resources import Resources


def _summary(key: api_keys.ApiKey, now: datetime) -> KeySummary:
    return KeySummary(
        id=key.id,
        name=key.name,
        scopes=list(key.scopes),
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
        expired=key.revoked_at is None and not key.is_active(now),
    )


async def list_keys(resources: Resources, viewer: Viewer) -> list[KeySummary]:
    async with resources.connection() as connection:
        keys = await api_keys.list_keys(connection, viewer.project_id)
    now = datetime.now(UTC)
    return [_summary(key, now) for key in keys]


async def create_key(
    resources: Resources,
    viewer: Viewer,
    *,
    name: str,
    scopes: list[str],
    expires_at: datetime | None,
) -> tuple[KeySummary, str]:
    async with resources.connection() as connection:
        created = await api_keys.create_key(
            connection, viewer.project_id, scopes, name=name, expires_at=expires_at
        )
    return _summary(created.key, datetime.now(UTC)), created.text


async def revoke_key(resources: Resources, viewer: Viewer, key_id: str) -> None:
    # Confined to the viewer's project: another project's key is NotFound, as if it did not exist.
    async with resources.connection() as connection:
        await api_keys.revoke_key(connection, key_id, project_id=viewer.project_id)
