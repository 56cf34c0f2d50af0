"""What the pages need from identity (sign-in, sessions, keys), as one narrow interface.

The mechanism (password hashes, Redis sessions, CSRF, key hashing) belongs to the identity
package; the pages only call these methods, so they never touch a session or a hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from litestar import Request

AnyRequest = Request[Any, Any, Any]


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in person, in the project they are looking at."""

    email: str
    project_id: int
    project_name: str
    is_owner: bool


@dataclass(frozen=True, slots=True)
class KeySummary:
    """What may be shown about a key after its creation: never its secret."""

    id: str
    name: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    expired: bool


class SignInRefused(Exception):
    """Sign-in did not succeed; the message is safe to show (it never says which part was wrong)."""


class Accounts(Protocol):
    async def viewer(self, request: AnyRequest) -> Viewer | None: ...

    async def sign_in(self, request: AnyRequest, email: str, password: str) -> None: ...

    async def sign_out(self, request: AnyRequest) -> None: ...

    async def list_keys(self, request: AnyRequest, viewer: Viewer) -> list[KeySummary]: ...

    async def create_key(
        self,
        request: AnyRequest,
        viewer: Viewer,
        *,
        name: str,
        scopes: list[str],
        expires_at: datetime | None,
    ) -> tuple[KeySummary, str]:
        """The new key's summary and its secret, which is never shown again."""
        ...

    async def revoke_key(self, request: AnyRequest, viewer: Viewer, key_id: str) -> None: ...


class SignInUnavailable:
    """What the pages use until people and sessions exist on this server: nobody is signed in,
    and sign-in says so plainly instead of pretending the password was wrong."""

    async def viewer(self, request: AnyRequest) -> Viewer | None:
        return None

    async def sign_in(self, request: AnyRequest, email: str, password: str) -> None:
        raise SignInRefused("Sign-in is not set up on this server yet.")

    async def sign_out(self, request: AnyRequest) -> None:
        return None

    async def list_keys(self, request: AnyRequest, viewer: Viewer) -> list[KeySummary]:
        return []

    async def create_key(
        self,
        request: AnyRequest,
        viewer: Viewer,
        *,
        name: str,
        scopes: list[str],
        expires_at: datetime | None,
    ) -> tuple[KeySummary, str]:
        raise SignInRefused("Sign-in is not set up on this server yet.")

    async def revoke_key(self, request: AnyRequest, viewer: Viewer, key_id: str) -> None:
        raise SignInRefused("Sign-in is not set up on this server yet.")
