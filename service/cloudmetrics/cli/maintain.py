"""`cloudmetrics maintain`: create time partitions ahead, drop the ones past retention."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import click

from cloudmetrics.cli.environment import load_settings
from cloudmetrics.settings import Settings


@click.command()
@click.option(
    "--dry-run", is_flag=True, help="Print what would be created and dropped; change nothing."
)
def maintain(dry_run: bool) -> None:
    """Create the time partitions ingest will need and drop those past retention.

    Run by prestart and by the scheduled maintenance task; safe to run at any time and from
    several places at once (one run works, the others say so and exit 0).
    """
    settings = load_settings()
    asyncio.run(run_maintenance(settings, dry_run=dry_run, echo=click.echo))


async def run_maintenance(
    settings: Settings, *, dry_run: bool, echo: Callable[[str], None]
) -> None:
    from datetime import UTC, datetime

    import asyncpg

    from cloudmetrics.startup_waits import redact
    from cloudmetrics.storage.maintenance import maintain as maintain_storage

    try:
        connection = await asyncpg.connect(
            settings.database.url,
            timeout=settings.database.connect_timeout,
            server_settings={"application_name": "cloudmetrics-maintain"},
        )
    except (TimeoutError, OSError, asyncpg.PostgresError) as error:
        raise click.ClickException(
            f"cannot reach PostgreSQL at {redact(settings.database.url)}: {type(error).__name__}"
        ) from None
    try:
        report = await maintain_storage(
            connection, settings, now=datetime.now(UTC), dry_run=dry_run
        )
    except (asyncpg.UndefinedFunctionError, asyncpg.UndefinedTableError):
        raise click.ClickException(
            "the storage schema is missing: run `cloudmetrics migrate up` first"
        ) from None
    except asyncpg.PostgresError as error:
        raise click.ClickException(f"maintenance failed: {type(error).__name__}: {error}") from None
    finally:
        await connection.close()
    if report.skipped:
        echo("another maintenance run holds the lock; nothing to do here")
        return
    verb = ("would create", "would drop") if dry_run else ("created", "dropped")
    for name in report.created:
        echo(f"{verb[0]} {name}")
    for name in report.dropped:
        echo(f"{verb[1]} {name}")
    for partition, rows in report.deleted.items():
        echo(f"deleted {rows} rows from {partition} (projects with a shorter retention)")
    for name in report.reclaimed:
        echo(f"truncated {name}: every chunk of it is packed")
    for reason in report.deferred:
        echo(f"left for the next run: {reason}")
    echo(
        f"maintenance {'dry run ' if dry_run else ''}done: {len(report.created)} created, "
        f"{len(report.dropped)} dropped, {len(report.deferred)} left for later, "
        f"{report.packed} series-hours of raw points packed"
    )
