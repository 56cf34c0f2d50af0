"""Who may manage a project's keys from the dashboard, and how revoking asks first: a member is
refused every key page and action, an owner's first revoke only asks, the second revokes; the
keys page tells active, expired and revoked keys apart."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudmetrics.app import create_app
from cloudmetrics.identity.sessions import CSRF_COOKIE, CSRF_FORM_FIELD
from tests.api.conftest import api_settings
from tests.support.identity import PASSWORD, add_user, expire, issue_key, revoke

Client = AsyncTestClient[Litestar]
OWNER = "owner@acme.test"
MEMBER = "member@acme.test"


async def _signed_in(client: Client, email: str) -> str:
    """Signs in through the form; returns the CSRF token the next forms carry."""
    assert (await client.get("/")).status_code == 200
    token = client.cookies[CSRF_COOKIE]
    answer = await client.post(
        "/sign-in",
        data={"email": email, "password": PASSWORD, CSRF_FORM_FIELD: token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client.cookies[CSRF_COOKIE]


async def test_a_member_is_refused_every_key_page_and_action(
    migrated_database_url: str, redis_url: str
) -> None:
    await add_user(migrated_database_url, OWNER, role="owner")
    await add_user(migrated_database_url, MEMBER, role="member")
    key = await issue_key(migrated_database_url, "acme")
    async with AsyncTestClient(create_app(api_settings(migrated_database_url, redis_url))) as c:
        token = await _signed_in(c, MEMBER)
        listed = await c.get("/keys")
        created = await c.post("/keys", data={"name": "x", "scope": "read", CSRF_FORM_FIELD: token})
        revoke = f"/keys/{key.key_id}/revoke"
        asked = await c.post(revoke, data={CSRF_FORM_FIELD: token})
        confirmed = await c.post(revoke, data={"confirm": "yes", CSRF_FORM_FIELD: token})
        still = await c.get("/v1/metrics", headers=key.headers)

    assert [listed.status_code, created.status_code] == [403, 403]
    assert [asked.status_code, confirmed.status_code] == [403, 403]
    assert "owners manage its API keys." in confirmed.text
    assert still.status_code == 200


async def test_an_owner_is_asked_before_a_key_is_revoked(
    migrated_database_url: str, redis_url: str
) -> None:
    await add_user(migrated_database_url, OWNER, role="owner")
    key = await issue_key(migrated_database_url, "acme")
    async with AsyncTestClient(create_app(api_settings(migrated_database_url, redis_url))) as c:
        token = await _signed_in(c, OWNER)
        revoke = f"/keys/{key.key_id}/revoke"
        asked = await c.post(revoke, data={CSRF_FORM_FIELD: token})
        after_asking = await c.get("/v1/metrics", headers=key.headers)
        confirmed = await c.post(
            revoke, data={"confirm": "yes", CSRF_FORM_FIELD: token}, follow_redirects=False
        )
        unknown = await c.post("/keys/nosuchkey/revoke", data={CSRF_FORM_FIELD: token})
        again = await c.post(revoke, data={CSRF_FORM_FIELD: token})

    assert asked.status_code == 200
    assert "Revoke the key" in asked.text
    assert 'name="confirm" value="yes"' in asked.text
    assert after_asking.status_code == 200  # asking revoked nothing
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == "/keys"
    # A revoked or unknown key is not offered for revoking again.
    assert [unknown.status_code, again.status_code] == [404, 404]
    assert "No active key has that id." in again.text


def _state(page: str, key_id: str) -> str:
    """The State cell (the row's next to last) of a key's row on the keys page."""
    row = re.search(rf'data-key-row="{re.escape(key_id)}">(.*?)</tr>', page, re.DOTALL)
    assert row is not None, f"no row for {key_id}"
    return re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.DOTALL)[-2].strip()


async def test_the_keys_page_shows_each_keys_state(
    migrated_database_url: str, redis_url: str
) -> None:
    await add_user(migrated_database_url, OWNER, role="owner")
    active = await issue_key(migrated_database_url, "acme")
    expired = await issue_key(migrated_database_url, "acme")
    await expire(migrated_database_url, expired.key_id)
    revoked = await issue_key(migrated_database_url, "acme")
    await revoke(migrated_database_url, revoked.key_id)
    async with AsyncTestClient(create_app(api_settings(migrated_database_url, redis_url))) as c:
        await _signed_in(c, OWNER)
        listed = await c.get("/keys")

    assert listed.status_code == 200
    states = [_state(listed.text, key.key_id) for key in (active, expired, revoked)]
    assert states == ["active", "expired", "revoked"]
