"""A CSRF pair minted by another visitor, sent with a signed-in session's cookie, is refused on
every state-changing route: the JSON key routes, sign-out and the dashboard's forms."""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudmetrics.identity.sessions import CSRF_COOKIE, CSRF_FORM_FIELD, SESSION_COOKIE
from tests.support.identity import PASSWORD, add_user

Client = AsyncTestClient[Litestar]
OWNER = "owner@acme.test"


async def _fresh_pair(client: Client) -> str:
    """What any visitor gets: a signed CSRF token (also its cookie), with no session."""
    client.cookies.clear()
    await client.get("/auth/session")
    token = client.cookies.get(CSRF_COOKIE)
    assert token
    return token


async def _signed_in_session(client: Client) -> tuple[str, str]:
    """The owner's session id and the CSRF token the session began with."""
    token = await _fresh_pair(client)
    signed_in = await client.post(
        "/auth/sign-in", json={"email": OWNER, "password": PASSWORD}, headers={"X-CSRFToken": token}
    )
    assert signed_in.status_code == 200, signed_in.text
    session = client.cookies.get(SESSION_COOKIE)
    assert session
    return session, token


async def _key_id(client: Client, token: str) -> str:
    created = await client.post(
        "/api/projects/acme/keys", json={"scopes": ["read"]}, headers={"X-CSRFToken": token}
    )
    assert created.status_code == 201, created.text
    return created.json()["details"]["id"]


def _use(client: Client, session: str, token: str) -> None:
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, session)
    client.cookies.set(CSRF_COOKIE, token)


async def _post_each_route(client: Client, token: str, key_id: str) -> dict[str, httpx.Response]:
    header = {"X-CSRFToken": token}
    field = {CSRF_FORM_FIELD: token}
    return {
        "create key (JSON)": await client.post(
            "/api/projects/acme/keys", json={"scopes": ["read"]}, headers=header
        ),
        "revoke key (JSON)": await client.delete(
            f"/api/projects/acme/keys/{key_id}", headers=header
        ),
        "create key (form)": await client.post(
            "/keys", data={**field, "name": "x", "scopes": "read", "expires_in_days": "30"}
        ),
        "revoke key (form)": await client.post(f"/keys/{key_id}/revoke", data=field),
        "sign-in again (JSON)": await client.post(
            "/auth/sign-in", json={"email": OWNER, "password": PASSWORD}, headers=header
        ),
        "sign-out (JSON)": await client.post("/auth/sign-out", headers=header),
        "sign-out (form)": await client.post("/sign-out", data=field),
    }


@pytest.fixture
async def owner(migrated_database_url: str) -> None:
    await add_user(migrated_database_url, OWNER, role="owner")


async def test_another_visitors_valid_pair_is_refused_on_every_route(
    anonymous_client: Client, owner: None
) -> None:
    session, own_token = await _signed_in_session(anonymous_client)
    key_id = await _key_id(anonymous_client, own_token)
    strangers_token = await _fresh_pair(anonymous_client)
    _use(anonymous_client, session, strangers_token)

    answers = await _post_each_route(anonymous_client, strangers_token, key_id)

    assert {route: answer.status_code for route, answer in answers.items()} == dict.fromkeys(
        answers, 403
    )
    # Still signed in, key still alive: nothing was done.
    _use(anonymous_client, session, own_token)
    keys = await anonymous_client.get("/api/projects/acme/keys")
    assert keys.status_code == 200
    assert [key["revokedAt"] for key in keys.json()] == [None]


async def test_the_sessions_own_pair_is_accepted(anonymous_client: Client, owner: None) -> None:
    session, own_token = await _signed_in_session(anonymous_client)
    key_id = await _key_id(anonymous_client, own_token)
    _use(anonymous_client, session, own_token)

    revoked = await anonymous_client.delete(
        f"/api/projects/acme/keys/{key_id}", headers={"X-CSRFToken": own_token}
    )
    out = await anonymous_client.post("/auth/sign-out", headers={"X-CSRFToken": own_token})

    assert revoked.status_code == 200, revoked.text
    assert out.status_code == 204
