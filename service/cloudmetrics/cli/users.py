"""`cloudmetrics users create|add|remove EMAIL --project NAME`: people who sign in, and the
projects they belong to (one person may belong to several).

The password comes from a prompt (asked twice) or, with --password-stdin, from the first line of
standard input; never from an argument, which would land in shell history and process lists.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from cloudmetrics.cli.database_command import run_with_connection

if TYPE_CHECKING:
    from cloudmetrics.database import Connection
    from cloudmetrics.identity.users import User


@click.group()
def users() -> None:
    """Manage users (DATABASE_URL)."""


@users.command()
@click.argument("email")
@click.option("--project", "project_name", required=True, help="The project the user joins.")
@click.option(
    "--role",
    type=click.Choice(["owner", "member"]),
    default="member",
    show_default=True,
    help="Owners manage the project's API keys.",
)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
def create(email: str, project_name: str, role: str, password_stdin: bool) -> None:
    """Create a user who belongs to a project."""
    from cloudmetrics.identity.projects import project_named
    from cloudmetrics.identity.users import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)

    async def work(connection: Connection) -> User:
        project = await project_named(connection, project_name)
        return await create_user(
            connection,
            email,
            password,
            project_id=project.id,
            role="owner" if role == "owner" else "member",
        )

    user = run_with_connection(work)
    click.echo(f"created user {user.email} ({role} of {project_name})")


@users.command()
@click.argument("email")
@click.option("--project", "project_name", required=True, help="The project the user joins.")
@click.option(
    "--role",
    type=click.Choice(["owner", "member"]),
    default="member",
    show_default=True,
    help="Owners manage the project's API keys.",
)
def add(email: str, project_name: str, role: str) -> None:
    """Add an existing user to another project (or change their role in it)."""
    from cloudmetrics.identity.projects import project_named
    from cloudmetrics.identity.users import add_membership, user_named

    async def work(connection: Connection) -> str:
        project = await project_named(connection, project_name)
        user = await user_named(connection, email)
        await add_membership(
            connection, user.id, project.id, "owner" if role == "owner" else "member"
        )
        return user.email

    added = run_with_connection(work)
    click.echo(f"{added} is now {role} of {project_name}")


@users.command()
@click.argument("email")
@click.option("--project", "project_name", required=True, help="The project the user leaves.")
def remove(email: str, project_name: str) -> None:
    """Take a user out of a project (never its last owner); the user keeps their other ones."""
    from cloudmetrics.identity.projects import project_named
    from cloudmetrics.identity.users import remove_membership, user_named

    async def work(connection: Connection) -> str:
        project = await project_named(connection, project_name)
        user = await user_named(connection, email)
        await remove_membership(connection, user.id, project.id)
        return user.email

    removed = run_with_connection(work)
    click.echo(f"{removed} is no longer in {project_name}")
