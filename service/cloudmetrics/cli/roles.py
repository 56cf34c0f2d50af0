"""`cloudmetrics roles ensure`: the database's owner and service roles (docs/adr/0058)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from cloudmetrics.cli.database_command import run_with_connection

if TYPE_CHECKING:
    from cloudmetrics.database import Connection
    from cloudmetrics.database_roles import DatabaseRoles

OWNER_PASSWORD = "DATABASE_OWNER_PASSWORD"  # noqa: S105 -- a variable's name
SERVICE_PASSWORD = "DATABASE_SERVICE_PASSWORD"  # noqa: S105 -- a variable's name


@click.group()
def roles() -> None:
    """Manage the database's own roles (DATABASE_URL as the master user)."""


def _password(variable: str) -> str:
    value = os.environ.get(variable, "")
    if not value:
        raise click.ClickException(f"{variable} is not set: the role's password comes from it")
    return value


@roles.command()
def ensure() -> None:
    """Create or correct <database>_owner and <database>_service and their privileges.

    Connects as DATABASE_URL's user (the RDS master user), reads the roles' passwords from
    DATABASE_OWNER_PASSWORD and DATABASE_SERVICE_PASSWORD (never from an argument), and hands
    every object of the schema to the owner. Safe to run on every deploy.
    """
    from cloudmetrics.database_roles import DatabaseRoles as Roles
    from cloudmetrics.database_roles import ensure_roles

    owner_password, service_password = _password(OWNER_PASSWORD), _password(SERVICE_PASSWORD)

    async def work(connection: Connection) -> tuple[DatabaseRoles, int]:
        database = str(await connection.fetchval("SELECT current_database()"))
        names = Roles.of(database)
        moved = await ensure_roles(
            connection,
            names,
            owner_password=owner_password,
            service_password=service_password,
        )
        return names, len(moved)

    names, moved = run_with_connection(work)
    click.echo(
        f"roles {names.owner} and {names.service} ensured; {moved} objects handed to {names.owner}"
    )
