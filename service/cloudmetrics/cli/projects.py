"""`cloudmetrics projects ...`: the tenants that metrics, keys and members belong to."""

from __future__ import annotations

import click

from cloudmetrics.cli.database_command import run_with_connection


@click.group()
def projects() -> None:
    """Manage projects (DATABASE_URL)."""


@projects.command()
@click.argument("name")
def create(name: str) -> None:
    """Create a project called NAME (lower-case letters, digits and dashes)."""
    from cloudmetrics.identity.projects import create_project

    project = run_with_connection(lambda connection: create_project(connection, name))
    click.echo(f"created project {project.name} (id {project.id})")
