"""A stand-in for identity's sign-in in the browser tests, until people and sessions exist.

It knows one person, who owns the test project. The browser carries a random session token
cookie set by the test; signing in marks that token as signed in, signing out forgets it. Keys
go through the real key functions (project_keys), so the key pages run end to end.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request

from cloudmetrics.dashboard import project_keys
from cloudmetrics.dashboard.accounts import KeySummary, SignInRefused, Viewer

SESSION_COOKIE = "cm-test-session"
AnyRequest = Request[Any, Any, Any]


class OnePersonAccounts:
    def __init__(self, *, email: str, password: str, project_id: int, project_name: str) -> None:
        self.email = email
        self.password = password
        self.person = Viewer(
            email=email, project_id=project_id, project_name=project_name, is_owner=True
        )
        self.signed_in: set[str] = set()

    async def viewer(self, request: AnyRequest) -> Viewer | None:
        token = request.cookies.get(SESSION_COOKIE)
        return self.person if token in self.signed_in else None

    async def sign_in(self, request: AnyRequest, email: str, password: str) -> None:
        token = request.cookies.get(SESSION_COOKIE)
        if token is None or (email, password) != (self.email, self.password):
            raise SignInRefused("That email and password do not match.")
        self.signed_in.add(token)

    async def sign_out(self, request: AnyRequest) -> None:
        self.signed_in.discard(request.cookies.get(SESSION_COOKIE, ""))

    async def list_keys(self, request: AnyRequest, viewer: Viewer) -> list[KeySummary]:
        return await project_keys.list_keys(request.app.state.resources, viewer)

    async def create_key(
        self,
        request: AnyRequest,
        viewer: Viewer,
        *,
        name: str,
        scopes: list[str],
        expires_at: datetime | None,
    ) -> tuple[KeySummary, str]:
        return await project_keys.create_key(
            request.app.state.resources, viewer, name=name, scopes=scopes, expires_at=expires_at
        )

    async def revoke_key(self, request: AnyRequest, viewer: Viewer, key_id: str) -> None:
        await project_keys.revoke_key(request.app.state.resources, viewer, key_id)
