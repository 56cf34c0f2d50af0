"""`users add` puts an existing user in another project (or changes their role); `users remove`
takes them out, never the project's last owner."""

from __future__ import annotations

import asyncio

import asyncpg
from click.testing import CliRunner, Result

from cloudmetrics.cli import main

PASSWORD = "correct horse battery staple\n"


def _cli(database_url: str, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"DATABASE_URL": database_url}, input=PASSWORD)


async def _roles(database_url: str, email: str) -> dict[str, str]:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT p.name, m.role FROM memberships m JOIN projects p ON p.id = m.project_id "
            "JOIN users u ON u.id = m.user_id WHERE u.email = $1",
            email,
        )
    finally:
        await connection.close()
    return {row["name"]: row["role"] for row in rows}


def test_add_and_remove_memberships_of_an_existing_user(migrated_database_url: str) -> None:
    url = migrated_database_url
    for project in ("acme", "globex"):
        assert _cli(url, "projects", "create", project).exit_code == 0
    created = _cli(
        url,
        "users",
        "create",
        "ann@acme.test",
        "--project",
        "acme",
        "--role",
        "owner",
        "--password-stdin",
    )
    assert created.exit_code == 0, created.output

    added = _cli(url, "users", "add", "ANN@acme.test", "--project", "globex", "--role", "member")
    promoted = _cli(url, "users", "add", "ann@acme.test", "--project", "globex", "--role", "owner")
    assert (added.exit_code, promoted.exit_code) == (0, 0), added.output + promoted.output
    assert asyncio.run(_roles(url, "ann@acme.test")) == {"acme": "owner", "globex": "owner"}

    last_owner = _cli(url, "users", "remove", "ann@acme.test", "--project", "acme")
    assert last_owner.exit_code == 1
    assert "last owner" in last_owner.output.strip().splitlines()[-1]

    assert _cli(url, "users", "add", "bob@acme.test", "--project", "acme").exit_code == 1
    _cli(
        url,
        "users",
        "create",
        "bob@acme.test",
        "--project",
        "acme",
        "--role",
        "owner",
        "--password-stdin",
    )
    removed = _cli(url, "users", "remove", "ann@acme.test", "--project", "acme")
    assert removed.exit_code == 0, removed.output
    assert asyncio.run(_roles(url, "ann@acme.test")) == {"globex": "owner"}
    unknown = _cli(url, "users", "remove", "ann@acme.test", "--project", "acme")
    assert unknown.exit_code == 1
    assert "not a member" in unknown.output
