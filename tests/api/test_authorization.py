"""Every key-management route and page, for an owner, a member, another project's owner and an
outsider, and for a person in two projects (owner of one, member of the other) who switches
between them in the dashboard."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudmetrics.identity.sessions import CSRF_COOKIE, CSRF_FORM_FIELD
from tests.support.identity import PASSWORD, IssuedKey, add_user, issue_key

Client = AsyncTestClient[Litestar]
TWO_PROJECTS = "ann@acme.test"  # owner of acme, member of globex
MEMBER = "mem@acme.test"  # member of acme
OTHER_OWNER = "olga@globex.test"  # owner of globex
OUTSIDER = "out@initech.test"  # owner of initech


@pytest.fixture
async def people(migrated_database_url: str) -> IssuedKey:
    """Everyone, and a key of acme (to list and revoke) and of globex."""
    url = migrated_database_url
    await add_user(url, TWO_PROJECTS, project="acme", role="owner")
    await add_user(url, MEMBER, project="acme", role="member")
    await add_user(url, OTHER_OWNER, project="globex", role="owner")
    await add_user(url, OUTSIDER, project="initech", role="owner")
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            "INSERT INTO memberships (user_id, project_id, role) SELECT u.id, p.id, 'member' "
            "FROM users u, projects p WHERE u.email = $1 AND p.name = 'globex'",
            TWO_PROJECTS,
        )
    finally:
        await connection.close()
    await issue_key(url, "globex")
    return await issue_key(url, "acme")


async def _sign_in(client: Client, email: str) -> str:
    client.cookies.clear()
    await client.get("/auth/session")
    token = client.cookies.get(CSRF_COOKIE)
    assert token
    answer = await client.post(
        "/auth/sign-in", json={"email": email, "password": PASSWORD}, headers={"X-CSRFToken": token}
    )
    assert answer.status_code == 200, answer.text
    return token


async def _key_routes(client: Client, token: str, project: str, key_id: str) -> dict[str, int]:
    header = {"X-CSRFToken": token}
    listed = await client.get(f"/api/projects/{project}/keys")
    created = await client.post(
        f"/api/projects/{project}/keys", json={"scopes": ["read"]}, headers=header
    )
    revoked = await client.delete(f"/api/projects/{project}/keys/{key_id}", headers=header)
    return {
        "list": listed.status_code,
        "create": created.status_code,
        "revoke": revoked.status_code,
    }


async def _pages(client: Client, token: str, key_id: str) -> dict[str, int]:
    field = {CSRF_FORM_FIELD: token}
    answers: dict[str, httpx.Response] = {
        "metrics": await client.get("/metrics"),
        "metric": await client.get("/metrics/no.such.metric"),
        "keys": await client.get("/keys"),
        "create key": await client.post(
            "/keys", data={**field, "name": "from the page", "scope": "read"}
        ),
        "revoke key": await client.post(
            f"/keys/{key_id}/revoke", data={**field, "confirm": "yes"}, follow_redirects=False
        ),
    }
    return {page: answer.status_code for page, answer in answers.items()}


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        (TWO_PROJECTS, {"list": 200, "create": 201, "revoke": 200}),
        (MEMBER, {"list": 403, "create": 403, "revoke": 403}),
        (OTHER_OWNER, {"list": 404, "create": 404, "revoke": 404}),
        (OUTSIDER, {"list": 404, "create": 404, "revoke": 404}),
    ],
)
async def test_the_key_routes_of_acme(
    anonymous_client: Client, people: IssuedKey, email: str, expected: dict[str, int]
) -> None:
    token = await _sign_in(anonymous_client, email)

    assert await _key_routes(anonymous_client, token, "acme", people.key_id) == expected


async def test_the_key_routes_without_a_session_are_401(
    anonymous_client: Client, people: IssuedKey
) -> None:
    await anonymous_client.get("/auth/session")
    token = anonymous_client.cookies.get(CSRF_COOKIE) or ""

    statuses = await _key_routes(anonymous_client, token, "acme", people.key_id)

    assert statuses == {"list": 401, "create": 401, "revoke": 401}


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        # The members see the pages but not the keys; acme's key is out of the others' reach
        # (revoking it from their own project's page finds no such key).
        (
            MEMBER,
            {"metrics": 200, "metric": 404, "keys": 403, "create key": 403, "revoke key": 403},
        ),
        (
            OTHER_OWNER,
            {"metrics": 200, "metric": 404, "keys": 200, "create key": 201, "revoke key": 404},
        ),
        (
            OUTSIDER,
            {"metrics": 200, "metric": 404, "keys": 200, "create key": 201, "revoke key": 404},
        ),
    ],
)
async def test_the_pages_for_everyone_but_acmes_owner(
    anonymous_client: Client, people: IssuedKey, email: str, expected: dict[str, int]
) -> None:
    token = await _sign_in(anonymous_client, email)

    assert await _pages(anonymous_client, token, people.key_id) == expected
    await _sign_in(anonymous_client, TWO_PROJECTS)
    keys = await anonymous_client.get("/api/projects/acme/keys")
    assert people.key_id in {key["id"] for key in keys.json() if key["revokedAt"] is None}


async def test_a_person_in_two_projects_switches_between_them(
    anonymous_client: Client, people: IssuedKey
) -> None:
    client = anonymous_client
    token = await _sign_in(client, TWO_PROJECTS)
    field = {CSRF_FORM_FIELD: token}

    first = await client.get("/metrics")
    switcher = re.findall(r'<option value="([^"]+)"', first.text)
    assert switcher == ["acme", "globex"]
    assert (await client.get("/keys")).status_code == 200  # owner of acme

    switched = await client.post(
        "/project", data={**field, "project": "globex"}, follow_redirects=False
    )
    assert switched.status_code == 303
    as_member: dict[str, Any] = await _pages(client, token, people.key_id)
    assert as_member == {
        "metrics": 200,
        "metric": 404,
        "keys": 403,
        "create key": 403,
        "revoke key": 403,
    }
    # The JSON routes name their project, whichever the dashboard shows.
    assert (await client.get("/api/projects/acme/keys")).status_code == 200
    assert (await client.get("/api/projects/globex/keys")).status_code == 403

    elsewhere = await client.post(
        "/project", data={**field, "project": "initech"}, follow_redirects=False
    )
    assert elsewhere.status_code == 404
    back = await client.post("/project", data={**field, "project": "acme"}, follow_redirects=False)
    assert back.status_code == 303
    assert await _pages(client, token, people.key_id) == {
        "metrics": 200,
        "metric": 404,
        "keys": 200,
        "create key": 201,
        "revoke key": 303,
    }
