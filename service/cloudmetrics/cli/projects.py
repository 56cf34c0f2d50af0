"""`cloudmetrics projects ...`: the tenants that metrics, keys and members belong to."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from cloudmetrics.cli.database_command import run_with_connection

if TYPE_CHECKING:
    from cloudmetrics.database import Connection


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


@projects.command()
@click.argument("name")
@click.option("--series", type=click.IntRange(min=1), help="Series the project may hold.")
@click.option("--series-per-metric", type=click.IntRange(min=1), help="Series one metric may hold.")
@click.option(
    "--new-series-per-minute",
    type=click.IntRange(min=1),
    help="Series the project may create per minute.",
)
@click.option(
    "--concurrent-queries",
    type=click.IntRange(min=1),
    help="Queries the project may run at once, over every task.",
)
@click.option("--reset", is_flag=True, help="Forget the project's own values first (defaults).")
def budgets(
    name: str,
    series: int | None,
    series_per_metric: int | None,
    new_series_per_minute: int | None,
    concurrent_queries: int | None,
    reset: bool,
) -> None:
    """Show the budgets of project NAME, or override them (reaches every task within 10 s)."""
    from cloudmetrics.cli.environment import load_settings
    from cloudmetrics.identity.projects import project_named
    from cloudmetrics.metrics.budgets import (
        Overrides,
        effective,
        read_overrides,
        write_overrides,
    )

    changes = Overrides(
        series=series,
        series_per_metric=series_per_metric,
        new_series_per_minute=new_series_per_minute,
        concurrent_queries=concurrent_queries,
    )
    changing = reset or changes != Overrides()

    async def work(connection: Connection) -> tuple[Overrides, int]:
        project = await project_named(connection, name)
        if changing:
            stored = await write_overrides(connection, project.id, changes, reset=reset)
        else:
            stored = await read_overrides(connection, project.id)
        held = await connection.fetchval(
            "SELECT count(*) FROM series s JOIN metrics m ON m.id = s.metric_id "
            "WHERE m.project_id = $1",
            project.id,
        )
        return stored, int(held)

    stored, held = run_with_connection(work)
    applied = effective(load_settings().budgets, stored)
    own = {
        "series": stored.series,
        "series_per_metric": stored.series_per_metric,
        "new_series_per_minute": stored.new_series_per_minute,
        "concurrent_queries": stored.concurrent_queries,
    }
    for field, value in (
        ("series", applied.series),
        ("series_per_metric", applied.series_per_metric),
        ("new_series_per_minute", applied.new_series_per_minute),
        ("concurrent_queries", applied.concurrent_queries),
    ):
        origin = "project" if own[field] is not None else "default"
        click.echo(f"{field} {value} ({origin})")
    click.echo(f"series held {held}")
