"""From an `Authorization: Bearer <key>` header to a Principal, with the lookups cached.

Each task keeps the outcome of a key's lookup in memory for IDENTITY_KEY_CACHE_TTL seconds (2 by
default, at most 5): a busy key costs one indexed read per task per TTL instead of one per
request, and a revoked key stops working on every task within the TTL. The cache is in process
memory rather than Redis so that key-authenticated calls keep working while Redis is down.
Unknown keys are cached too, so a client hammering with a wrong key reaches PostgreSQL once per
TTL. The cache holds digests, never key texts.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from cloudmetrics.errors import Unauthenticated
from cloudmetrics.identity.api_keys import StoredKey, record_use, stored_key
from cloudmetrics.identity.key_format import KeyText, parse_key
from cloudmetrics.identity.principal import Principal
from cloudmetrics.resources import Resources
from cloudmetrics.settings import IdentitySettings

REALM = 'Bearer realm="cloudmetrics"'
# last_used_at is written at most this often per key and task.
LAST_USE_RESOLUTION_SECONDS = 60


@dataclass(frozen=True, slots=True)
class _Entry:
    fresh_until: float
    key: StoredKey | None
    principal: Principal | None


class KeyAuthenticator:
    def __init__(self, settings: IdentitySettings) -> None:
        self._ttl = settings.key_cache_ttl_seconds
        self._max_entries = settings.key_cache_max_entries
        self._entries: dict[bytes, _Entry] = {}

    async def authenticate(self, authorization: str | None, resources: Resources) -> Principal:
        key = _bearer_key(authorization)
        digest = key.digest
        entry = self._entries.get(digest)
        if entry is None or entry.fresh_until <= time.monotonic():
            entry = await self._look_up(key, digest, resources)
        return _grant(entry)

    def forget(self) -> None:
        """Drop every cached lookup (tests, and a future revocation broadcast)."""
        self._entries.clear()

    async def _look_up(self, key: KeyText, digest: bytes, resources: Resources) -> _Entry:
        async with resources.connection() as connection:
            stored = await stored_key(connection, key.id)
            if stored is not None and not hmac.compare_digest(stored.secret_hash, digest):
                stored = None
            if stored is not None and _should_record_use(stored):
                await record_use(
                    connection, stored.id, at_most_every_seconds=LAST_USE_RESOLUTION_SECONDS
                )
        principal = (
            Principal(project_id=stored.project_id, scopes=stored.scopes, key_id=stored.id)
            if stored is not None
            else None
        )
        entry = _Entry(fresh_until=time.monotonic() + self._ttl, key=stored, principal=principal)
        if len(self._entries) >= self._max_entries:
            # Dicts keep insertion order: drop the oldest entry.
            self._entries.pop(next(iter(self._entries)))
        self._entries[digest] = entry
        return entry


def _bearer_key(authorization: str | None) -> KeyText:
    if not authorization:
        raise Unauthenticated(
            "this endpoint needs an API key: send `Authorization: Bearer <key>`",
            headers={"WWW-Authenticate": REALM},
        )
    scheme, _, credential = authorization.partition(" ")
    key = parse_key(credential.strip()) if scheme.lower() == "bearer" else None
    if key is None:
        raise _invalid("the Authorization header does not hold a CloudMetrics API key")
    return key


def _grant(entry: _Entry) -> Principal:
    stored, principal = entry.key, entry.principal
    if stored is None or principal is None:
        raise _invalid("unknown API key")
    if stored.revoked_at is not None:
        raise _invalid("this API key was revoked")
    if stored.expires_at is not None and stored.expires_at <= datetime.now(UTC):
        raise _invalid("this API key has expired")
    return principal


def _should_record_use(stored: StoredKey) -> bool:
    if stored.revoked_at is not None:
        return False
    if stored.last_used_at is None:
        return True
    age = (datetime.now(UTC) - stored.last_used_at).total_seconds()
    return age >= LAST_USE_RESOLUTION_SECONDS


def _invalid(detail: str) -> Unauthenticated:
    return Unauthenticated(
        detail,
        headers={
            "WWW-Authenticate": f'{REALM}, error="invalid_token", error_description="{detail}"'
        },
    )
