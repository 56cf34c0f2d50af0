"""`Accounts` for the pages, built on identity's own sessions and users (no mechanism of its own).

Sign-in goes through identity's `sign_in_user` (attempt budgets, the password checked off the
event loop) and starts a session under a new id (`start_session`), exactly
as `POST /auth/sign-in` does. Refusals become `SignInRefused`, whose message the page shows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request

from cloudmetrics.dashboard import project_keys
from cloudmetrics.dashboard.accounts import KeySummary, SignInRefused, Viewer
from cloudmetrics.errors import Unauthenticated
from cloudmetrics.identity.password_work import SignInBusy
from cloudmetrics.identity.session_store import SessionStoreUnavailable
from cloudmetrics.identity.sessions import (
    client_address,
    end_session,
    signed_in_user_id,
    start_session,
)
from cloudmetrics.identity.sign_in import sign_in_user
from cloudmetrics.identity.sign_in_limits import TooManyAttempts
from cloudmetrics.identity.users import user_by_id, user_projects
from cloudmetrics.resources import Resources, resources_of

AnyRequest = Request[Any, Any, Any]
WRONG_CREDENTIALS = "That email and password do not match."


def _resources(request: AnyRequest) -> Resources:
    return resources_of(request.app)


class SessionAccounts:
    """The signed-in person is the session's user, looking at the first of their projects."""

    async def viewer(self, request: AnyRequest) -> Viewer | None:
        user_id = signed_in_user_id(request)
        if user_id is None:
            return None
        resources = _resources(request)
        async with resources.connection() as conn:
            user = await user_by_id(conn, user_id)
            memberships = await user_projects(conn, user_id) if user else []
        if user is None or not memberships:
            # A deleted user, or one without a project, has nothing to see: end the session.
            end_session(request)
            return None
        first = memberships[0]
        return Viewer(
            email=user.email,
            project_id=first.project_id,
            project_name=first.project_name,
            is_owner=first.role == "owner",
        )

    async def sign_in(self, request: AnyRequest, email: str, password: str) -> None:
        try:
            user = await sign_in_user(
                _resources(request),
                email=email,
                password=password,
                address=client_address(request),
            )
        except Unauthenticated:
            # One answer for an unknown email and a wrong password.
            raise SignInRefused(WRONG_CREDENTIALS) from None
        except (TooManyAttempts, SignInBusy, SessionStoreUnavailable) as refused:
            message = _sentence(refused.detail)
            raise SignInRefused(message, status_code=refused.status_code) from None
        start_session(request, user.id)

    async def sign_out(self, request: AnyRequest) -> None:
        end_session(request)

    async def list_keys(self, request: AnyRequest, viewer: Viewer) -> list[KeySummary]:
        return await project_keys.list_keys(_resources(request), viewer)

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
            _resources(request), viewer, name=name, scopes=scopes, expires_at=expires_at
        )

    async def revoke_key(self, request: AnyRequest, viewer: Viewer, key_id: str) -> None:
        await project_keys.revoke_key(_resources(request), viewer, key_id)


def _sentence(detail: str) -> str:
    """identity's problem details are lower-case clauses; a page shows a sentence."""
    return f"{detail[:1].upper()}{detail[1:]}."
