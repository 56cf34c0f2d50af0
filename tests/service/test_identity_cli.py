"""`cloudmetrics projects ...` and `cloudmetrics keys ...`: what an operator types to let a
machine in, and the one-line errors when something is off."""

from __future__ import annotations

import asyncio
import re

import pytest
from click.testing import CliRunner, Result

from cloudmetrics.cli import main
from cloudmetrics.identity.key_format import digest
from tests.api.database import fetch_value
from tests.support.databases import DatabaseFactory

KEY_LINE = re.compile(r"^cm_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$")


@pytest.fixture
def cli(migrated_database_url: str) -> CliRunnerFor:
    return CliRunnerFor(migrated_database_url)


class CliRunnerFor:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def __call__(self, *args: str) -> Result:
        return CliRunner().invoke(main, list(args), env={"DATABASE_URL": self.database_url})


def assert_one_line_error(result: Result, fragment: str) -> None:
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    assert fragment in result.output.strip().splitlines()[-1], result.output


def test_a_created_key_is_the_last_line_and_stored_only_as_a_digest(cli: CliRunnerFor) -> None:
    assert cli("projects", "create", "acme").exit_code == 0

    created = cli("keys", "create", "--project", "acme", "--scope", "read,write")

    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[-1]
    match = KEY_LINE.match(key)
    assert match is not None, created.stdout
    # stdout holds the key alone, so `KEY=$(cloudmetrics keys create ...)` works.
    assert created.stdout.strip() == key
    stored = asyncio.run(
        fetch_value(cli.database_url, "SELECT secret_hash FROM api_keys WHERE id = $1", match[1])
    )
    assert stored == digest(key)
    assert key not in str(
        asyncio.run(fetch_value(cli.database_url, "SELECT row(k.*)::text FROM api_keys k"))
    )


def test_list_shows_keys_without_their_secrets_and_revoke_marks_them(cli: CliRunnerFor) -> None:
    cli("projects", "create", "acme")
    key = cli("keys", "create", "--project", "acme", "--scope", "read", "--name", "grafana")
    key_text = key.stdout.strip()
    key_id = key_text[3:19]

    listed = cli("keys", "list", "--project", "acme")
    revoked = cli("keys", "revoke", key_id)
    listed_after = cli("keys", "list", "--project", "acme")

    assert listed.exit_code == 0, listed.output
    row = next(line for line in listed.output.splitlines() if line.startswith(key_id))
    assert row.split()[1:3] == ["active", "read"]
    assert row.endswith("grafana")
    assert key_text not in listed.output
    assert revoked.exit_code == 0, revoked.output
    assert f"revoked key {key_id}" in revoked.output
    row_after = next(line for line in listed_after.output.splitlines() if line.startswith(key_id))
    assert row_after.split()[1] == "revoked"


def test_expiring_keys_say_when(cli: CliRunnerFor) -> None:
    cli("projects", "create", "acme")

    created = cli(
        "keys", "create", "--project", "acme", "--scope", "write", "--expires-in-days", "30"
    )

    assert created.exit_code == 0, created.output
    assert ", expires " in created.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("projects", "create", "Not A Slug"), "project names are"),
        (("keys", "create", "--project", "nowhere", "--scope", "read"), "no project is named"),
        (("keys", "create", "--project", "acme", "--scope", "admin"), "unknown scope(s) admin"),
        (("keys", "create", "--project", "acme", "--scope", ","), "at least one scope"),
        (("keys", "list", "--project", "nowhere"), "no project is named 'nowhere'"),
        (("keys", "revoke", "0123456789abcdef"), "no API key has the id"),
        (("keys", "revoke", "not-an-id"), "no API key has the id"),
    ],
)
def test_mistakes_are_one_line_errors(
    cli: CliRunnerFor, args: tuple[str, ...], fragment: str
) -> None:
    cli("projects", "create", "acme")

    assert_one_line_error(cli(*args), fragment)


def test_a_project_name_is_taken_once(cli: CliRunnerFor) -> None:
    assert cli("projects", "create", "acme").exit_code == 0

    assert_one_line_error(cli("projects", "create", "acme"), "already exists")


async def test_an_unmigrated_database_says_so(database_factory: DatabaseFactory) -> None:
    empty = await database_factory.create("empty")

    result = await asyncio.to_thread(
        CliRunner().invoke, main, ["projects", "create", "acme"], env={"DATABASE_URL": empty}
    )

    assert_one_line_error(result, "is not migrated: run `cloudmetrics migrate up`")
