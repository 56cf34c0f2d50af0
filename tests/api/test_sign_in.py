"""Sign-in with server-side sessions in Redis, CSRF on every unsafe request, and API key
management for project owners."""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudmetrics.app import create_app
from cloudmetrics.settings import IdentitySettings
from tests.api.conftest import api_settings
from tests.support.addresses import host_port, netloc
from tests.support.identity import PASSWORD, add_user
from tests.support.tcp_proxy import TcpProxy

Client = AsyncTestClient[Litestar]
OWNER = "owner@acme.test"
MEMBER = "member@acme.test"


async def _csrf(client: Client) -> dict[str, str]:
    """GET /auth/session sets the CSRF cookie; scripts echo its token in a header."""
    response = await client.get("/auth/session")
    assert response.status_code == 200, response.text
    token = response.json()["csrfToken"]
    assert token
    return {"X-CSRFToken": token}


async def _sign_in(client: Client, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post(
        "/auth/sign-in", json={"email": email, "password": password}, headers=await _csrf(client)
    )


@pytest.fixture
async def people(migrated_database_url: str) -> None:
    await add_user(migrated_database_url, OWNER, role="owner")
    await add_user(migrated_database_url, MEMBER, role="member")


async def test_sign_in_sets_a_fresh_httponly_lax_session_cookie(
    anonymous_client: Client, people: None
) -> None:
    # A session id planted before sign-in (session fixation) must not survive it.
    anonymous_client.cookies.set("cm_session", "planted-by-someone-else")

    response = await _sign_in(anonymous_client, OWNER.upper())

    assert response.status_code == 200, response.text
    assert response.json()["email"] == OWNER
    assert response.json()["projects"] == [{"name": "acme", "role": "owner"}]
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("cm_session="))
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    session_id = cookie.split(";")[0].split("=", 1)[1]
    assert session_id not in ("planted-by-someone-else", "null")
    assert len(session_id) == 64
    me = (await anonymous_client.get("/auth/session")).json()
    assert me["signedIn"] is True


async def test_each_sign_in_gets_a_new_session_id(anonymous_client: Client, people: None) -> None:
    first = await _sign_in(anonymous_client, OWNER)
    second = await _sign_in(anonymous_client, OWNER)

    def session_of(response: httpx.Response) -> str:
        cookies = response.headers.get_list("set-cookie")
        return next(c for c in cookies if c.startswith("cm_session=")).split(";")[0]

    assert session_of(first) != session_of(second)


async def test_secure_cookies_behind_tls(
    migrated_database_url: str, redis_url: str, people: None
) -> None:
    settings = api_settings(
        migrated_database_url, redis_url, identity=IdentitySettings(secure_cookies=True)
    )
    async with AsyncTestClient(create_app(settings), base_url="https://testserver.local") as client:
        response = await _sign_in(client, OWNER)

    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("cm_session="))
    assert "Secure" in cookie


async def test_wrong_password_and_unknown_email_get_the_same_answer(
    anonymous_client: Client, people: None
) -> None:
    wrong = await _sign_in(anonymous_client, OWNER, "not the password at all")
    unknown = await _sign_in(anonymous_client, "nobody@acme.test")

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    # No session for a failed attempt: not even an empty one in Redis.
    assert not any(c.startswith("cm_session=") for c in wrong.headers.get_list("set-cookie"))


async def test_unsafe_requests_without_the_csrf_token_are_refused(
    anonymous_client: Client, people: None
) -> None:
    await anonymous_client.get("/auth/session")  # the cookie alone is not enough

    response = await anonymous_client.post(
        "/auth/sign-in", json={"email": OWNER, "password": PASSWORD}
    )
    form = await anonymous_client.post(
        "/auth/sign-in", data={"email": OWNER, "password": PASSWORD, "_csrf_token": "forged"}
    )

    assert response.status_code == 403
    assert form.status_code == 403


async def test_a_form_post_with_the_token_field_signs_in(
    anonymous_client: Client, people: None
) -> None:
    token = (await _csrf(anonymous_client))["X-CSRFToken"]

    response = await anonymous_client.post(
        "/auth/sign-in", data={"email": OWNER, "password": PASSWORD, "_csrf_token": token}
    )

    assert response.status_code == 200, response.text


async def test_an_owner_creates_lists_and_revokes_keys(
    anonymous_client: Client, people: None
) -> None:
    await _sign_in(anonymous_client, OWNER)
    csrf = await _csrf(anonymous_client)

    created = await anonymous_client.post(
        "/api/projects/acme/keys", json={"scopes": ["read"], "name": "grafana"}, headers=csrf
    )
    assert created.status_code == 201, created.text
    key, key_id = created.json()["key"], created.json()["details"]["id"]
    listed = await anonymous_client.get("/api/projects/acme/keys")
    works = await anonymous_client.get("/v1/metrics", headers={"Authorization": f"Bearer {key}"})
    revoked = await anonymous_client.delete(f"/api/projects/acme/keys/{key_id}", headers=csrf)

    assert [k["id"] for k in listed.json()] == [key_id]
    assert key not in listed.text
    assert works.status_code == 200
    assert revoked.status_code == 200
    assert revoked.json()["revokedAt"] is not None


async def test_members_may_not_manage_keys_and_outsiders_see_no_project(
    anonymous_client: Client, people: None, migrated_database_url: str
) -> None:
    await add_user(migrated_database_url, "owner@globex.test", project="globex")
    await _sign_in(anonymous_client, MEMBER)

    as_member = await anonymous_client.get("/api/projects/acme/keys")
    elsewhere = await anonymous_client.get("/api/projects/globex/keys")
    nowhere = await anonymous_client.get("/api/projects/nothing-here/keys")

    assert as_member.status_code == 403
    assert elsewhere.status_code == nowhere.status_code == 404


async def test_signed_out_key_management_is_401(anonymous_client: Client) -> None:
    response = await anonymous_client.get("/api/projects/acme/keys")

    assert response.status_code == 401


async def test_sign_out_ends_the_session(anonymous_client: Client, people: None) -> None:
    await _sign_in(anonymous_client, OWNER)

    out = await anonymous_client.post("/auth/sign-out", headers=await _csrf(anonymous_client))

    assert out.status_code == 204
    assert (await anonymous_client.get("/api/projects/acme/keys")).status_code == 401


async def test_sign_in_attempts_are_limited_per_account(
    migrated_database_url: str, redis_url: str, people: None
) -> None:
    settings = api_settings(
        migrated_database_url, redis_url, identity=IdentitySettings(sign_in_attempts_per_account=3)
    )
    async with AsyncTestClient(create_app(settings)) as client:
        statuses = [
            (await _sign_in(client, OWNER, "wrong password!!")).status_code for _ in range(3)
        ]
        blocked = await _sign_in(client, OWNER)  # even the right password, for now

    assert statuses == [401, 401, 401]
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0


async def test_redis_down_fails_sign_in_closed_while_keys_keep_working(
    migrated_database_url: str, redis_url: str, people: None
) -> None:
    from tests.support.identity import issue_key

    key = await issue_key(migrated_database_url)
    with TcpProxy(*host_port(redis_url)) as redis:
        settings = api_settings(migrated_database_url, redis.url_for(redis_url, netloc(redis_url)))
        async with AsyncTestClient(create_app(settings)) as client:
            csrf = await _csrf(client)
            redis.set_mode("refuse")

            signing_in = await client.post(
                "/auth/sign-in", json={"email": OWNER, "password": PASSWORD}, headers=csrf
            )
            api = await client.get("/v1/metrics", headers=key.headers)
            redis.set_mode("forward")

    assert signing_in.status_code == 503
    assert "session store (Redis) does not answer" in signing_in.json()["detail"]
    assert api.status_code == 200
