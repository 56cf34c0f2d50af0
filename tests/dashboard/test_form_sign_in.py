"""The sign-in form uses identity's sessions: a new session id each time, the attempt budgets,
and a plain refusal when the session store (Redis) does not answer."""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudmetrics.app import create_app
from cloudmetrics.identity.sessions import CSRF_COOKIE, CSRF_FORM_FIELD, SESSION_COOKIE
from cloudmetrics.settings import IdentitySettings
from tests.api.conftest import api_settings
from tests.support.addresses import host_port, netloc
from tests.support.identity import PASSWORD, add_user
from tests.support.tcp_proxy import TcpProxy

Client = AsyncTestClient[Litestar]
OWNER = "owner@acme.test"


@pytest.fixture
async def owner(migrated_database_url: str) -> None:
    await add_user(migrated_database_url, OWNER, role="owner")


async def _form_sign_in(client: Client, password: str = PASSWORD) -> httpx.Response:
    if CSRF_COOKIE not in client.cookies:
        assert (await client.get("/")).status_code == 200
    token = client.cookies[CSRF_COOKIE]
    return await client.post(
        "/sign-in",
        data={"email": OWNER, "password": password, CSRF_FORM_FIELD: token},
        follow_redirects=False,
    )


def _session_id(response: httpx.Response) -> str:
    cookies = response.headers.get_list("set-cookie")
    return next(c for c in cookies if c.startswith(f"{SESSION_COOKIE}=")).split(";")[0]


async def test_signing_in_through_the_form_rotates_the_session_id(
    migrated_database_url: str, redis_url: str, owner: None
) -> None:
    async with AsyncTestClient(create_app(api_settings(migrated_database_url, redis_url))) as c:
        first = await _form_sign_in(c)
        second = await _form_sign_in(c)
        metrics = await c.get("/metrics")

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == "/metrics"
    assert _session_id(first) != _session_id(second)
    assert metrics.status_code == 200
    assert OWNER in metrics.text


async def test_the_form_honours_the_per_account_attempt_budget(
    migrated_database_url: str, redis_url: str, owner: None
) -> None:
    settings = api_settings(
        migrated_database_url, redis_url, identity=IdentitySettings(sign_in_attempts_per_account=2)
    )
    async with AsyncTestClient(create_app(settings)) as client:
        wrong = [(await _form_sign_in(client, "wrong password!!")).status_code for _ in range(2)]
        blocked = await _form_sign_in(client)  # even the right password, for now

    assert wrong == [400, 400]
    assert blocked.status_code == 429
    assert "Too many sign-in attempts" in blocked.text
    assert SESSION_COOKIE not in blocked.cookies


async def test_the_form_fails_closed_when_redis_does_not_answer(
    migrated_database_url: str, redis_url: str, owner: None
) -> None:
    with TcpProxy(*host_port(redis_url)) as redis:
        settings = api_settings(migrated_database_url, redis.url_for(redis_url, netloc(redis_url)))
        async with AsyncTestClient(create_app(settings)) as client:
            await client.get("/")
            redis.set_mode("refuse")
            refused = await _form_sign_in(client)
            redis.set_mode("forward")

    assert refused.status_code == 503
    assert "session store (Redis) does not answer" in refused.text
    assert SESSION_COOKIE not in refused.cookies
