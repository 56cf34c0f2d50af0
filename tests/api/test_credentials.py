"""Every kind of credential against every /v1 endpoint: who gets 401, 403, 404 or an answer.

The project "acme" holds the metric `acme.cpu`; each test presents one credential to the three
endpoints and checks each answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.database import fetch_value
from tests.api.points import batch, now, point
from tests.support.identity import IssuedKey, expire, issue_key, revoke
from tests.support.polling import eventually

Client = AsyncTestClient[Litestar]


def _window() -> dict[str, str]:
    return {
        "start": (now() - timedelta(hours=1)).isoformat(),
        "end": (now() + timedelta(minutes=1)).isoformat(),
        "step": "10m",
    }


ENDPOINTS = ("ingest", "list", "series")


async def _call(client: Client, endpoint: str, headers: dict[str, str]) -> httpx.Response:
    if endpoint == "ingest":
        return await client.post("/v1/metrics", json=batch(point("acme.cpu")), headers=headers)
    if endpoint == "list":
        return await client.get("/v1/metrics", headers=headers)
    return await client.get("/v1/metrics/acme.cpu/series", params=_window(), headers=headers)


async def _answers(client: Client, headers: dict[str, str]) -> dict[str, httpx.Response]:
    return {endpoint: await _call(client, endpoint, headers) for endpoint in ENDPOINTS}


@pytest.fixture
async def seeded(anonymous_client: Client, api_key: IssuedKey) -> Client:
    response = await anonymous_client.post(
        "/v1/metrics", json=batch(point("acme.cpu")), headers=api_key.headers
    )
    assert response.status_code == 201, response.text
    return anonymous_client


def _assert_unauthenticated(answers: dict[str, httpx.Response], *, invalid_token: bool) -> None:
    for endpoint, response in answers.items():
        assert response.status_code == 401, (endpoint, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["type"].endswith("/unauthenticated")
        challenge = response.headers["www-authenticate"]
        assert challenge.startswith('Bearer realm="cloudmetrics"'), endpoint
        assert ('error="invalid_token"' in challenge) is invalid_token, challenge


async def test_no_credential_is_401_with_a_challenge(seeded: Client) -> None:
    _assert_unauthenticated(await _answers(seeded, {}), invalid_token=False)


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer",
        "Bearer not-a-key",
        "Basic dXNlcjpwYXNz",
        "cm_0123456789abcdef_" + "a" * 43,  # a key's shape, but no scheme
        "Bearer cm_0123456789abcdef_" + "a" * 42,  # one character short
        "Bearer cm_0123456789abcdef_" + "a" * 43,  # well-formed, unknown
    ],
    ids=["empty", "not-a-key", "basic", "no-scheme", "truncated", "unknown"],
)
async def test_malformed_or_unknown_keys_are_401_invalid_token(
    seeded: Client, authorization: str
) -> None:
    answers = await _answers(seeded, {"Authorization": authorization})

    _assert_unauthenticated(answers, invalid_token=True)


async def test_a_known_id_with_a_wrong_secret_is_401(seeded: Client, api_key: IssuedKey) -> None:
    forged = api_key.text[:-1] + ("A" if api_key.text[-1] != "A" else "B")

    answers = await _answers(seeded, {"Authorization": f"Bearer {forged}"})

    _assert_unauthenticated(answers, invalid_token=True)
    assert answers["list"].json()["detail"] == "unknown API key"


@pytest.mark.parametrize(
    ("spoil", "detail"),
    [(revoke, "this API key was revoked"), (expire, "this API key has expired")],
    ids=["revoked", "expired"],
)
async def test_revoked_and_expired_keys_are_401(
    seeded: Client,
    migrated_database_url: str,
    spoil: Callable[[str, str], Awaitable[None]],
    detail: str,
) -> None:
    key = await issue_key(migrated_database_url)
    await spoil(migrated_database_url, key.key_id)

    answers = await _answers(seeded, key.headers)

    _assert_unauthenticated(answers, invalid_token=True)
    assert {response.json()["detail"] for response in answers.values()} == {detail}


async def test_a_read_only_key_reads_and_may_not_write(
    seeded: Client, migrated_database_url: str
) -> None:
    key = await issue_key(migrated_database_url, scopes=["read"])

    answers = await _answers(seeded, key.headers)

    assert answers["ingest"].status_code == 403
    assert answers["ingest"].json()["requiredScope"] == "write"
    assert answers["list"].status_code == 200
    assert [m["name"] for m in answers["list"].json()["metrics"]] == ["acme.cpu"]
    assert answers["series"].status_code == 200


async def test_a_write_only_key_writes_and_may_not_read(
    seeded: Client, migrated_database_url: str
) -> None:
    key = await issue_key(migrated_database_url, scopes=["write"])

    answers = await _answers(seeded, key.headers)

    assert answers["ingest"].status_code == 201
    for endpoint in ("list", "series"):
        assert answers[endpoint].status_code == 403, endpoint
        assert answers[endpoint].json()["requiredScope"] == "read"


async def test_another_project_s_key_sees_nothing_of_acme(
    seeded: Client, migrated_database_url: str
) -> None:
    other = await issue_key(migrated_database_url, "globex")

    list_before = await _call(seeded, "list", other.headers)
    series = await _call(seeded, "series", other.headers)

    assert list_before.status_code == 200
    assert list_before.json()["metrics"] == []
    assert series.status_code == 404
    assert series.json()["detail"] == "no metric is named 'acme.cpu'"


async def test_a_key_about_to_expire_works_until_then(
    seeded: Client, migrated_database_url: str
) -> None:
    key = await issue_key(migrated_database_url, expires_at=datetime.now(UTC) + timedelta(hours=1))

    answers = await _answers(seeded, key.headers)

    assert [answers[e].status_code for e in ENDPOINTS] == [201, 200, 200]


async def test_probes_and_schema_need_no_key(anonymous_client: Client) -> None:
    for path in ("/health", "/ready", "/schema/openapi.json"):
        assert (await anonymous_client.get(path)).status_code == 200, path


async def test_a_revoked_key_is_refused_within_the_cache_ttl(
    seeded: Client, migrated_database_url: str
) -> None:
    key = await issue_key(migrated_database_url)
    assert (await _call(seeded, "list", key.headers)).status_code == 200  # now cached

    await revoke(migrated_database_url, key.key_id)

    refused = await eventually(
        lambda: _call(seeded, "list", key.headers),
        lambda response: response.status_code == 401,
        within=5,
    )
    assert refused.json()["detail"] == "this API key was revoked"


async def test_last_use_is_recorded(seeded: Client, migrated_database_url: str) -> None:
    key = await issue_key(migrated_database_url)
    before = await fetch_value(
        migrated_database_url, "SELECT last_used_at FROM api_keys WHERE id = $1", key.key_id
    )

    await _call(seeded, "list", key.headers)

    after = await fetch_value(
        migrated_database_url, "SELECT last_used_at FROM api_keys WHERE id = $1", key.key_id
    )
    assert before is None
    assert isinstance(after, datetime)
