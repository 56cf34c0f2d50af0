"""`cloudmetrics keys ensure`: the deploy's smoke key, registered from a secret it never prints.

Against a real database: registering twice changes nothing, a new key of the same name revokes
the old one, and every refusal leaves projects and keys exactly as they were.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg
import pytest
from click.testing import CliRunner, Result
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudmetrics.cli import main
from cloudmetrics.identity.key_format import digest, new_key
from tests.service.test_identity_cli import assert_one_line_error

VARIABLE = "CLOUDMETRICS_SMOKE_KEY"
ENSURE = ("keys", "ensure", "--project", "smoke", "--scope", "read,write", "--name", "smoke")


def from_env(project: str = "smoke", scope: str = "read,write", name: str = "smoke") -> list[str]:
    """The arguments of `keys ensure` reading the key from VARIABLE."""
    options = {"--project": project, "--scope": scope, "--name": name, "--from-env": VARIABLE}
    return ["keys", "ensure", *[part for option in options.items() for part in option]]


class Ensure:
    """`cloudmetrics keys ensure ...` against one migrated database."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def __call__(self, *args: str, key: str | None = None, stdin: str | None = None) -> Result:
        env = {"DATABASE_URL": self.database_url}
        if key is not None:
            env[VARIABLE] = key
        return CliRunner().invoke(main, list(args), env=env, input=stdin)

    def from_env(self, key: str) -> Result:
        return self(*from_env(), key=key)

    def rows(self) -> list[tuple[Any, ...]]:
        """Every project and key, as comparable tuples: what a refusal must leave untouched."""
        return asyncio.run(_rows(self.database_url))

    def stored_keys(self) -> dict[str, dict[str, Any]]:
        return asyncio.run(_keys(self.database_url))


async def _rows(url: str) -> list[tuple[Any, ...]]:
    connection = await asyncpg.connect(url)
    try:
        projects = await connection.fetch("SELECT * FROM projects ORDER BY id")
        keys = await connection.fetch("SELECT * FROM api_keys ORDER BY id")
        return [tuple(row.values()) for row in [*projects, *keys]]
    finally:
        await connection.close()


async def _keys(url: str) -> dict[str, dict[str, Any]]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT k.*, p.name AS project FROM api_keys k JOIN projects p ON p.id = k.project_id"
        )
        return {row["id"]: dict(row) for row in rows}
    finally:
        await connection.close()


@pytest.fixture
def ensure(migrated_database_url: str) -> Ensure:
    return Ensure(migrated_database_url)


def test_a_key_is_registered_in_its_own_project_as_a_digest(ensure: Ensure) -> None:
    key = new_key()

    result = ensure.from_env(key.text)

    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        f"registered key {key.id} for project smoke (scopes read,write)"
    )
    stored = ensure.stored_keys()[key.id]
    assert stored["project"] == "smoke"
    assert stored["name"] == "smoke"
    assert stored["scopes"] == ["read", "write"]
    assert bytes(stored["secret_hash"]) == digest(key.text)
    assert stored["revoked_at"] is None
    assert key.text not in str(ensure.rows())


def test_the_key_may_come_from_stdin(ensure: Ensure) -> None:
    key = new_key()

    result = ensure(*ENSURE, "--from-stdin", stdin=f"{key.text}\n")

    assert result.exit_code == 0, result.output
    assert key.id in ensure.stored_keys()


def test_registering_the_same_key_again_changes_nothing(ensure: Ensure) -> None:
    key = new_key()
    assert ensure.from_env(key.text).exit_code == 0
    before = ensure.rows()

    again = ensure.from_env(key.text)

    assert again.exit_code == 0, again.output
    assert again.output.strip() == (
        f"already registered key {key.id} for project smoke (scopes read,write)"
    )
    assert ensure.rows() == before


def test_a_new_key_of_the_same_name_revokes_the_previous_one(ensure: Ensure) -> None:
    old, new = new_key(), new_key()
    assert ensure.from_env(old.text).exit_code == 0
    # Bystanders: another name in the project, the same name in another project.
    other_name = ensure(*from_env(name="canary"), key=new_key().text)
    other_project = ensure(*from_env(project="tenant", scope="read"), key=new_key().text)
    assert other_name.exit_code == other_project.exit_code == 0

    rotated = ensure.from_env(new.text)

    assert rotated.exit_code == 0, rotated.output
    assert f"revoked the previous key(s) {old.id}" in rotated.output
    keys = ensure.stored_keys()
    assert keys[old.id]["revoked_at"] is not None
    assert keys[new.id]["revoked_at"] is None
    active = [key for key in keys.values() if key["revoked_at"] is None]
    assert len(active) == 3


def test_changed_scopes_are_applied_to_the_registered_key(ensure: Ensure) -> None:
    key = new_key()
    assert ensure.from_env(key.text).exit_code == 0

    narrowed = ensure(*from_env(scope="read"), key=key.text)

    assert narrowed.exit_code == 0, narrowed.output
    assert narrowed.output.startswith(f"updated key {key.id}")
    assert ensure.stored_keys()[key.id]["scopes"] == ["read"]


def _revoked(ensure: Ensure, key: str) -> str:
    assert ensure.from_env(key).exit_code == 0
    assert ensure("keys", "revoke", key[3:19]).exit_code == 0
    return key


def _id_taken_by_another_secret(ensure: Ensure, key: str) -> str:
    assert ensure.from_env(key).exit_code == 0
    # The same public id with another secret: only the digest tells them apart.
    return key[:20] + ("A" if key[20] != "A" else "B") + key[21:]


def _registered_in_another_project(ensure: Ensure, key: str) -> str:
    result = ensure(*from_env(project="tenant"), key=key)
    assert result.exit_code == 0, result.output
    return key


@pytest.mark.parametrize(
    ("arrange", "fragment"),
    [
        (_revoked, "was revoked"),
        (_id_taken_by_another_secret, "another key already has the id"),
        (_registered_in_another_project, "belongs to another project"),
    ],
)
def test_a_key_that_cannot_be_registered_changes_nothing(
    ensure: Ensure, arrange: Callable[[Ensure, str], str], fragment: str
) -> None:
    attempt = arrange(ensure, new_key().text)
    before = ensure.rows()

    result = ensure.from_env(attempt)

    assert_one_line_error(result, fragment)
    assert attempt not in result.output
    # Not even the project it would have created.
    assert ensure.rows() == before


@pytest.mark.parametrize(
    ("args", "value", "fragment"),
    [
        (from_env(), None, f"${VARIABLE} holds no key"),
        (from_env(), "  ", f"${VARIABLE} holds no key"),
        (from_env(), "cm_0123_short", "does not hold an API key"),
        (from_env(), "KEY" + "x" * 60, "does not hold an API key"),
        (ENSURE, "valid", "exactly one of --from-env VARIABLE and --from-stdin"),
        ((*from_env(), "--from-stdin"), "valid", "exactly one of"),
        (from_env(scope="admin"), "valid", "unknown scope(s) admin"),
        (from_env(project="Smoke Tests"), "valid", "project names are"),
        (from_env(name=""), "valid", "needs a --name"),
    ],
)
def test_bad_input_is_refused_in_one_line_and_changes_nothing(
    ensure: Ensure, args: Sequence[str], value: str | None, fragment: str
) -> None:
    assert ensure.from_env(new_key().text).exit_code == 0
    before = ensure.rows()
    key = new_key().text if value == "valid" else value

    result = ensure(*args, key=key)

    assert_one_line_error(result, fragment)
    if key is not None and key.strip():
        assert key.strip() not in result.output
    assert ensure.rows() == before


async def test_a_registered_key_authenticates_and_a_rotated_one_does_not(
    ensure: Ensure, client: AsyncTestClient[Litestar]
) -> None:
    old, new = new_key(), new_key()
    assert (await asyncio.to_thread(ensure.from_env, old.text)).exit_code == 0
    assert (await asyncio.to_thread(ensure.from_env, new.text)).exit_code == 0

    refused = await client.get("/v1/metrics", headers={"Authorization": f"Bearer {old.text}"})
    accepted = await client.get("/v1/metrics", headers={"Authorization": f"Bearer {new.text}"})

    assert refused.status_code == 401
    assert accepted.status_code == 200, accepted.text
