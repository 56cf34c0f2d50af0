"""Failed sign-ins are counted per (account, address) and per address: a stranger elsewhere
cannot lock the owner out, success counts nothing and clears its pair, and past the first few
failures each one holds the pair back for longer."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import httpx
import pytest

from tests.api.live_service import live_service
from tests.support.identity import PASSWORD, add_user

OWNER = "owner@acme.test"
WRONG = "wrong password!!"
HOME = "198.51.100.10"
STRANGER = "203.0.113.66"


@pytest.fixture
def service(migrated_database_url: str, redis_url: str) -> Iterator[str]:
    asyncio.run(add_user(migrated_database_url, OWNER, role="owner"))
    with live_service(
        migrated_database_url,
        redis_url,
        FORWARDED_ALLOW_IPS="127.0.0.1",
        SIGN_IN_ATTEMPTS_PER_ACCOUNT="3",
        SIGN_IN_ATTEMPTS_PER_ADDRESS="50",
        REDIS_KEY_PREFIX=f"lockout-{uuid.uuid4().hex}:",
    ) as url:
        yield url


def _sign_in(url: str, address: str, password: str, email: str = OWNER) -> httpx.Response:
    with httpx.Client(base_url=url, headers={"X-Forwarded-For": address}) as client:
        token = client.get("/auth/session").json()["csrfToken"]
        return client.post(
            "/auth/sign-in",
            json={"email": email, "password": password},
            headers={"X-CSRFToken": token},
        )


def test_a_stranger_spends_their_own_budget_not_the_owners(service: str) -> None:
    strangers = [_sign_in(service, STRANGER, WRONG).status_code for _ in range(5)]
    owner = _sign_in(service, HOME, PASSWORD)

    assert strangers[:3] == [401, 401, 401]
    assert set(strangers[3:]) == {429}
    assert owner.status_code == 200, owner.text


def test_successful_sign_ins_never_count(service: str) -> None:
    statuses = [_sign_in(service, "198.51.100.20", PASSWORD).status_code for _ in range(12)]

    assert statuses == [200] * 12


def test_a_success_clears_its_pair(service: str) -> None:
    address = "198.51.100.30"
    before = [_sign_in(service, address, WRONG).status_code for _ in range(2)]
    assert _sign_in(service, address, PASSWORD).status_code == 200
    after = [_sign_in(service, address, WRONG).status_code for _ in range(2)]

    # Without the clearing, the fourth failure would have been refused (budget 3).
    assert before == after == [401, 401]


def test_failures_past_the_free_ones_hold_the_pair_back_growing(
    migrated_database_url: str, redis_url: str
) -> None:
    asyncio.run(add_user(migrated_database_url, "patient@acme.test", role="owner"))
    with live_service(
        migrated_database_url,
        redis_url,
        FORWARDED_ALLOW_IPS="127.0.0.1",
        SIGN_IN_ATTEMPTS_PER_ACCOUNT="20",
        REDIS_KEY_PREFIX=f"lockout-{uuid.uuid4().hex}:",
    ) as url:
        address = "198.51.100.40"
        free = [_sign_in(url, address, WRONG, "patient@acme.test").status_code for _ in range(4)]
        held = _sign_in(url, address, PASSWORD, "patient@acme.test")
        elsewhere = _sign_in(url, "198.51.100.41", PASSWORD, "patient@acme.test")

    assert free == [401] * 4
    # The fourth failure started a hold: even the right password waits, from that address only.
    assert held.status_code == 429
    assert held.json()["type"].endswith("too-many-sign-in-attempts")
    assert int(held.headers["retry-after"]) >= 1
    assert elsewhere.status_code == 200


def test_a_flood_past_the_hashing_pool_is_refused_at_once(
    migrated_database_url: str, redis_url: str
) -> None:
    with (
        live_service(
            migrated_database_url,
            redis_url,
            SIGN_IN_HASH_THREADS="1",
            SIGN_IN_HASH_QUEUE="1",
            REDIS_KEY_PREFIX=f"flood-{uuid.uuid4().hex}:",
        ) as url,
        ThreadPoolExecutor(12) as threads,
    ):
        answers = list(
            threads.map(
                partial(_sign_in, url, "127.0.0.1", WRONG),
                [f"nobody{n}@acme.test" for n in range(24)],
            )
        )

    busy = [answer for answer in answers if answer.status_code == 429]
    assert {answer.status_code for answer in answers} == {401, 429}
    assert all(answer.json()["type"].endswith("sign-in-busy") for answer in busy)
    assert all(answer.headers["retry-after"] == "1" for answer in busy)
