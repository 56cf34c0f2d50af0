"""`cloudmetrics prestart`: the one-shot step before `serve` — wait for dependencies, migrate,
then storage maintenance (partitions ahead, retention).

Kept out of the app's start-up on purpose: with several tasks starting at once, migrating from
each of them would race, and a slow migration would fail every health check.
"""

from __future__ import annotations

import asyncio

import click

from cloudmetrics.cli.environment import load_settings
from cloudmetrics.cli.first_steps import first_steps, local_url
from cloudmetrics.cli.maintain import run_maintenance
from cloudmetrics.settings import Settings


@click.command()
@click.option(
    "--create-database",
    is_flag=True,
    help="Create the database named in DATABASE_URL if it is missing (local development).",
)
@click.option(
    "--wait",
    "wait_seconds",
    default=0.0,
    show_default=True,
    help="Seconds to keep retrying PostgreSQL before giving up.",
)
def prestart(create_database: bool, wait_seconds: float) -> None:
    """Check PostgreSQL (and Redis, which only warns), optionally create the database, apply
    pending migrations, then run storage maintenance."""
    from cloudmetrics.cli.migrate import migration_runner, run_or_exit

    settings = load_settings()
    asyncio.run(_prestart(settings, create_database=create_database, wait_seconds=wait_seconds))
    # The same runner and error handling as `cloudmetrics migrate up`: one line, exit 1.
    runner = migration_runner()
    run_or_exit(runner.up(), runner)
    # Partitions are made ahead here too, so a fresh or long-idle environment can ingest at
    # once without waiting for the scheduled maintenance task.
    asyncio.run(run_maintenance(settings, dry_run=False, echo=click.echo))
    if asyncio.run(_nobody_can_sign_in(settings.database.url)):
        click.echo(first_steps(local_url(settings.server)))


async def _nobody_can_sign_in(database_url: str) -> bool:
    import asyncpg

    connection = await asyncpg.connect(database_url, timeout=10)
    try:
        found = await connection.fetchval(
            "SELECT EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM api_keys)"
        )
    except asyncpg.UndefinedTableError:  # another MIGRATIONS_DIR: not our schema to advise on
        return False
    finally:
        await connection.close()
    return not found


async def _prestart(settings: Settings, *, create_database: bool, wait_seconds: float) -> None:
    import asyncpg

    from cloudmetrics.startup_waits import (
        DependencyMissing,
        ensure_database,
        redact,
        wait_for_postgresql,
        wait_for_redis,
    )

    database_url = settings.database.url
    try:
        if create_database:
            await wait_for_postgresql(_maintenance_url(database_url), timeout=wait_seconds)
            if await ensure_database(database_url):
                click.echo(f"created database {redact(database_url)}")
        await wait_for_postgresql(database_url, timeout=wait_seconds)
    except DependencyMissing as error:
        raise click.ClickException(str(error)) from None
    except asyncpg.PostgresError as error:  # e.g. the role may not create databases
        raise click.ClickException(f"PostgreSQL refused: {type(error).__name__}: {error}") from None
    # Redis holds only a cache and rate-limit counters: the API serves without it (uncached,
    # unlimited, /ready says warn), so its absence is worth a warning, never a refusal. One
    # attempt, no waiting: nothing that follows needs it.
    try:
        await wait_for_redis(
            settings.cache.url,
            timeout=0,
            username=settings.cache.username,
            password=settings.cache.password,
        )
    except DependencyMissing as error:
        click.echo(f"Warning: {error}; the API serves without its cache and rate limits", err=True)
        click.echo("PostgreSQL answers; Redis does not")
    else:
        click.echo("PostgreSQL and Redis answer")


def _maintenance_url(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    return urlunsplit(urlsplit(url)._replace(path="/postgres"))
