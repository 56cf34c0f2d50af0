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
    # Every project the person belongs to, by name: the switcher offers them.
    projects: tuple[str, ...] = ()


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
    """Sign-in did not succeed; the message is safe to show (it never says which part was wrong).

    ``status_code`` is the page's status: 400 for wrong credentials, 429 once the attempts are
    spent, 503 when the session store does not answer.
    """

    def __init__(self, message: str, *, status_code: int = 400) -> None:
        super().__init__(message)
        self.status_code = status_code


class Accounts(Protocol):
    async def viewer(self, request: AnyRequest) -> Viewer | None: ...

    async def sign_in(self, request: AnyRequest, email: str, password: str) -> None: ...

    async def sign_out(self, request: AnyRequest) -> None: ...

    async def switch_project(self, request: AnyRequest, project_name: str) -> bool:
        """Look at ``project_name`` from now on; False (nothing changes) if not a member."""
        ...

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
