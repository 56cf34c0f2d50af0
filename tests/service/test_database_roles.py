"""The database's roles on the real PostgreSQL: the service role reads and writes and does
nothing else; the owner migrates and maintains (docs/adr/0058).

`cloudmetrics roles ensure` runs as the suite's administrator (standing in for the RDS master
user) on a migrated database of the test's own; the roles are named after that database, so
tests in parallel never share one, and are dropped afterwards.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from cloudmetrics.app import create_app
from cloudmetrics.cli.maintain import run_maintenance
from cloudmetrics.database_roles import DatabaseRoles, scram_verifier
from cloudmetrics.migrations.runner import MigrationRunner
from cloudmetrics.settings import Settings
from tests.api.conftest import api_settings
from tests.api.points import batch, now, point
from tests.support.identity import PASSWORD, add_user, issue_key
from tests.support.server import REPOSITORY

OWNER_PASSWORD = "owner-" + "o" * 30
SERVICE_PASSWORD = "service-" + "s" * 30


@dataclass(frozen=True)
class Roles:
    admin_url: str
    owner_url: str
    service_url: str
    names: DatabaseRoles


def as_user(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{quote(user)}:{quote(password)}@{host}"))


def ensure(url: str, **environment: str) -> subprocess.CompletedProcess[str]:
    variables = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DATABASE_") and key not in ("PGUSER", "PGPASSWORD")
    }
    return subprocess.run(
        [sys.executable, "-m", "cloudmetrics", "roles", "ensure"],
        cwd=REPOSITORY,
        env={**variables, "DATABASE_URL": url, **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
async def roles(migrated_database_url: str) -> AsyncIterator[Roles]:
    result = ensure(
        migrated_database_url,
        DATABASE_OWNER_PASSWORD=OWNER_PASSWORD,
        DATABASE_SERVICE_PASSWORD=SERVICE_PASSWORD,
    )
    assert result.returncode == 0, result.stderr
    names = DatabaseRoles.of(urlsplit(migrated_database_url).path.lstrip("/"))
    assert f"roles {names.owner} and {names.service} ensured" in result.stdout
    yield Roles(
        migrated_database_url,
        as_user(migrated_database_url, names.owner, OWNER_PASSWORD),
        as_user(migrated_database_url, names.service, SERVICE_PASSWORD),
        names,
    )
    admin = await asyncpg.connect(migrated_database_url)
    try:
        for role in (names.owner, names.service):
            await admin.execute(f'REASSIGN OWNED BY "{role}" TO CURRENT_USER')
            await admin.execute(f'DROP OWNED BY "{role}"')
            await admin.execute(f'DROP ROLE "{role}"')
    finally:
        await admin.close()


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE intruder (id int)",
        "DROP TABLE api_keys",
        "ALTER TABLE samples ADD COLUMN note text",
        "CREATE INDEX intruder ON api_keys (id)",
        "TRUNCATE metrics",
        "CREATE SCHEMA intruder",
        "CREATE FUNCTION intruder() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "ALTER ROLE {owner} PASSWORD 'taken'",
        "ALTER ROLE {service} CREATEROLE",
        "CREATE ROLE intruder",
        "GRANT {owner} TO {service}",
        "DELETE FROM schema_migrations",
        "INSERT INTO schema_migrations (id) VALUES ('9999_fake')",
    ],
)
async def test_the_service_role_is_refused_anything_but_dml(roles: Roles, statement: str) -> None:
    service = await asyncpg.connect(roles.service_url)
    try:
        sql = statement.format(owner=f'"{roles.names.owner}"', service=f'"{roles.names.service}"')
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await service.execute(sql)
    finally:
        await service.close()


async def test_the_service_role_cannot_use_the_partition_function_for_other_tables(
    roles: Roles,
) -> None:
    service = await asyncpg.connect(roles.service_url)
    try:
        with pytest.raises(asyncpg.InvalidParameterValueError):
            await service.fetchval(
                "SELECT ensure_time_partition('api_keys', interval '1 day', now())"
            )
    finally:
        await service.close()


async def test_ingest_queries_and_sign_in_work_as_the_service_role(
    roles: Roles, redis_url: str
) -> None:
    key = await issue_key(roles.admin_url)
    await add_user(roles.admin_url, "owner@acme.test")
    # A point on a day whose partition does not exist: ingest makes it, through the function
    # that runs as the owner.
    moment = now() - timedelta(days=2)
    partition = f"sample_chunks_p{moment:%Y%m%d}"
    admin = await asyncpg.connect(roles.admin_url)
    try:
        await admin.execute(f'DROP TABLE IF EXISTS "{partition}"')
    finally:
        await admin.close()

    async with AsyncTestClient(create_app(api_settings(roles.service_url, redis_url))) as client:
        written = await client.post(
            "/v1/metrics", json=batch(point("disk.free", at=moment)), headers=key.headers
        )
        assert written.status_code == 201, written.text
        series = await client.get(
            "/v1/metrics/disk.free/series",
            params={
                "start": (moment - timedelta(minutes=1)).isoformat(),
                "end": (moment + timedelta(minutes=1)).isoformat(),
                "step": "2m",
                "agg": "max",
            },
            headers=key.headers,
        )
        assert series.status_code == 200, series.text
        assert [bucket["value"] for bucket in series.json()["points"]] == [1.0]
        session = await client.get("/auth/session")
        token = session.json()["csrfToken"]
        signed_in = await client.post(
            "/auth/sign-in",
            json={"email": "owner@acme.test", "password": PASSWORD},
            headers={"X-CSRFToken": token},
        )
        assert signed_in.status_code == 200, signed_in.text

    admin = await asyncpg.connect(roles.admin_url)
    try:
        made_by = await admin.fetchval(
            "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = $1", partition
        )
    finally:
        await admin.close()
    assert made_by == roles.names.owner


async def test_the_owner_migrates_and_maintains(roles: Roles) -> None:
    migrations = Settings().migrations_dir
    runner = MigrationRunner(roles.owner_url, migrations)
    rolled_back = await runner.down(to="0019")
    assert [migration.id for migration in rolled_back] == ["0023", "0021", "0020"]
    assert len(await runner.up()) == 3
    settings = api_settings(roles.owner_url, "redis://127.0.0.1:1/0")
    lines: list[str] = []
    await run_maintenance(settings, dry_run=False, echo=lines.append)
    assert lines


async def test_ensure_is_idempotent_and_says_which_password_is_missing(roles: Roles) -> None:
    again = ensure(
        roles.admin_url,
        DATABASE_OWNER_PASSWORD=OWNER_PASSWORD,
        DATABASE_SERVICE_PASSWORD=SERVICE_PASSWORD,
    )
    assert again.returncode == 0, again.stderr
    assert "0 objects handed" in again.stdout
    missing = ensure(roles.admin_url, DATABASE_OWNER_PASSWORD=OWNER_PASSWORD)
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [
        "Error: DATABASE_SERVICE_PASSWORD is not set: the role's password comes from it"
    ]


async def test_passwords_are_stored_as_scram_verifiers_of_the_password(roles: Roles) -> None:
    admin = await asyncpg.connect(roles.admin_url)
    try:
        stored = await admin.fetchval(
            "SELECT rolpassword FROM pg_authid WHERE rolname = $1", roles.names.service
        )
    finally:
        await admin.close()
    assert stored.startswith("SCRAM-SHA-256$4096:")
    salt = base64.b64decode(stored.split("$")[1].split(":")[1])
    assert stored == scram_verifier(SERVICE_PASSWORD, salt=salt)
    assert stored != scram_verifier("another password", salt=salt)


def test_the_verifier_is_rfc_7677s() -> None:
    """RFC 7677's example exchange (user "user", password "pencil"): the keys of our verifier
    produce the client proof and the server signature the RFC shows."""
    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    verifier = scram_verifier("pencil", salt=salt)
    stored_key, server_key = (base64.b64decode(k) for k in verifier.split("$")[2].split(":"))
    nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    auth_message = (
        "n=user,r=rOprNGfwEbeRWgbNEkqO,"
        f"r={nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
        f"c=biws,r={nonce}"
    ).encode()
    server_signature = hmac.digest(server_key, auth_message, "sha256")
    assert base64.b64encode(server_signature).decode() == (
        "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
    )
    client_proof = base64.b64decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    client_signature = hmac.digest(stored_key, auth_message, "sha256")
    client_key = bytes(a ^ b for a, b in zip(client_proof, client_signature, strict=True))
    assert hashlib.sha256(client_key).digest() == stored_key
