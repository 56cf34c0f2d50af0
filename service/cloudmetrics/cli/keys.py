"""`cloudmetrics keys ...`: API keys for machines, created per project and shown once.

`keys ensure` registers a key made elsewhere (the estate's smoke key, docs/adr/0051): its text
comes from an environment variable or standard input, never from an argument, which would land
in shell history, process lists and the task definition.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import click

from cloudmetrics.cli.database_command import run_with_connection

if TYPE_CHECKING:
    from cloudmetrics.database import Connection
    from cloudmetrics.identity.api_keys import ApiKey, CreatedKey
    from cloudmetrics.identity.key_registration import Registration


@click.group()
def keys() -> None:
    """Manage API keys (DATABASE_URL)."""


def _scopes(_context: click.Context, _parameter: click.Parameter, value: str) -> tuple[str, ...]:
    from cloudmetrics.errors import InvalidRequest
    from cloudmetrics.identity.api_keys import parse_scopes

    wanted = [scope.strip() for scope in value.split(",") if scope.strip()]
    try:
        return parse_scopes(wanted)
    except InvalidRequest as error:
        raise click.BadParameter(error.detail) from None


@keys.command()
@click.option("--project", "project_name", required=True, help="The project the key acts for.")
@click.option(
    "--scope",
    "scopes",
    required=True,
    callback=_scopes,
    help="read, write, or read,write.",
)
@click.option("--name", default="", help="What the key is for (shown in listings).")
@click.option(
    "--expires-in-days",
    type=click.IntRange(min=1, max=3650),
    help="Make the key stop working after this many days.",
)
def create(
    project_name: str, scopes: tuple[str, ...], name: str, expires_in_days: int | None
) -> None:
    """Create a key. The key is printed once, alone on the last line: store it now."""
    from cloudmetrics.identity.api_keys import create_key
    from cloudmetrics.identity.projects import project_named

    expires_at = datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None

    async def work(connection: Connection) -> CreatedKey:
        project = await project_named(connection, project_name)
        return await create_key(connection, project.id, scopes, name=name, expires_at=expires_at)

    created = run_with_connection(work)
    # The description goes to stderr, so `KEY=$(cloudmetrics keys create ...)` holds the key.
    click.echo(
        f"created key {created.key.id} for project {project_name} "
        f"(scopes {','.join(created.key.scopes)}"
        + (f", expires {created.key.expires_at:%Y-%m-%d %H:%M}Z" if created.key.expires_at else "")
        + "); it is shown only now:",
        err=True,
    )
    click.echo(created.text)


@keys.command(name="list")
@click.option("--project", "project_name", required=True, help="The project whose keys to list.")
def list_(project_name: str) -> None:
    """List a project's keys: id, state, scopes, dates and name. Never the keys themselves."""
    from cloudmetrics.identity.api_keys import list_keys
    from cloudmetrics.identity.projects import project_named

    async def work(connection: Connection) -> list[ApiKey]:
        project = await project_named(connection, project_name)
        return await list_keys(connection, project.id)

    found = run_with_connection(work)
    if not found:
        click.echo(f"project {project_name} has no keys")
        return
    now = datetime.now(UTC)
    click.echo("ID                STATE    SCOPES      CREATED           LAST USED         NAME")
    for key in found:
        click.echo(
            f"{key.id}  {_state(key, now):<7}  {','.join(key.scopes):<10}  "
            f"{_when(key.created_at):<16}  {_when(key.last_used_at):<16}  {key.name}"
        )


@keys.command()
@click.argument("key_id", metavar="ID")
def revoke(key_id: str) -> None:
    """Revoke the key with this ID: every task refuses it within seconds."""
    from cloudmetrics.identity.api_keys import revoke_key

    key = run_with_connection(lambda connection: revoke_key(connection, key_id))
    click.echo(f"revoked key {key.id} at {_when(key.revoked_at)}Z")


@keys.command()
@click.option(
    "--project",
    "project_name",
    required=True,
    help="The project the key acts for; created if it does not exist.",
)
@click.option("--scope", "scope_list", required=True, help="read, write, or read,write.")
@click.option(
    "--name",
    required=True,
    help="The key's name in the project; registering a new key revokes the old one of this name.",
)
@click.option(
    "--from-env",
    "variable",
    metavar="VARIABLE",
    help="Read the key from this environment variable.",
)
@click.option("--from-stdin", is_flag=True, help="Read the key from the first line of stdin.")
def ensure(
    project_name: str, scope_list: str, name: str, variable: str | None, from_stdin: bool
) -> None:
    """Register a key made elsewhere; a no-op when it is already registered.

    Only the key's digest is stored. Keys of the same name registered before are revoked, so
    putting a new key in the secret and running this again rotates it. Bad input is refused
    before anything changes.
    """
    from cloudmetrics.errors import InvalidRequest
    from cloudmetrics.identity.api_keys import parse_scopes
    from cloudmetrics.identity.key_format import parse_key
    from cloudmetrics.identity.key_registration import ensure_key

    if (variable is None) == (not from_stdin):
        raise click.ClickException("give exactly one of --from-env VARIABLE and --from-stdin")
    source = f"${variable}" if variable is not None else "standard input"
    text = os.environ.get(variable, "") if variable is not None else sys.stdin.readline()
    text = text.strip()
    if not text:
        raise click.ClickException(f"{source} holds no key")
    key = parse_key(text)
    if key is None:
        # Never echo what was read: a near-miss may still be most of a secret.
        raise click.ClickException(
            f"{source} does not hold an API key (cm_<16 hex digits>_<43 URL-safe characters>)"
        )
    try:
        scopes = parse_scopes([part.strip() for part in scope_list.split(",") if part.strip()])
    except InvalidRequest as error:
        raise click.ClickException(error.detail) from None

    async def work(connection: Connection) -> Registration:
        return await ensure_key(connection, key, project=project_name, scopes=scopes, name=name)

    click.echo(run_with_connection(work).summary())


def _state(key: ApiKey, now: datetime) -> str:
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None and key.expires_at <= now:
        return "expired"
    return "active"


def _when(moment: datetime | None) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}" if moment else "-"
