"""Sessions with several workers: with no SESSION_SECRET the workers share one kept in Redis,
so every form sign-in works whichever worker answers; a deployment (secure cookies) refuses to
start without the SESSION_SECRET the estate provides."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys

import httpx

from cloudmetrics.identity.sessions import CSRF_FORM_FIELD
from tests.api.live_service import live_service
from tests.support.identity import PASSWORD, add_user

OWNER = "owner@acme.test"


def _form_sign_in(url: str) -> int:
    # No keep-alive: the page and the post each open a connection, which either worker accepts.
    with httpx.Client(base_url=url, limits=httpx.Limits(max_keepalive_connections=0)) as client:
        page = client.get("/")
        token = re.search(rf'name="{CSRF_FORM_FIELD}" value="([^"]+)"', page.text)
        assert token, page.text
        answer = client.post(
            "/sign-in",
            data={"email": OWNER, "password": PASSWORD, CSRF_FORM_FIELD: token.group(1)},
        )
        return answer.status_code


def test_two_workers_without_a_secret_sign_in_every_time(
    migrated_database_url: str, redis_url: str
) -> None:
    asyncio.run(add_user(migrated_database_url, OWNER, role="owner"))
    with live_service(
        migrated_database_url,
        redis_url,
        WEB_CONCURRENCY="2",
        SIGN_IN_ATTEMPTS_PER_ADDRESS="100",
    ) as url:
        statuses = [_form_sign_in(url) for _ in range(20)]

    assert statuses == [303] * 20


def test_a_deployment_without_its_secret_never_starts(database_url: str, redis_url: str) -> None:
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SESSION_COOKIE_SECURE": "true",
    }
    environment.pop("SESSION_SECRET", None)

    finished = subprocess.run(
        [sys.executable, "-m", "cloudmetrics", "serve"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert finished.returncode != 0
    assert finished.stderr.strip().splitlines() == [
        "Error: SESSION_SECRET is not set, and SESSION_COOKIE_SECURE says this is a deployment: "
        "every task must sign CSRF tokens with the one secret the estate provides "
        "(docs/identity.md)"
    ]
