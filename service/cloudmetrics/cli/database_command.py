"""Running one management command against DATABASE_URL, with every expected failure turned into
one line on stderr and exit code 1."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import click

from cloudmetrics.cli.environment import load_settings

if TYPE_CHECKING:
    from cloudmetrics.database import Connection

T = TypeVar("T")


def run_with_connection(work: Callable[[Connection], Awaitable[T]]) -> T:
    """Connect, run ``work`` in one transaction, close."""
    import asyncpg

    from cloudmetrics.errors import CloudMetricsError
    from cloudmetrics.outages import OUTAGES
    from cloudmetrics.startup_waits import redact

    url = load_settings().database.url

    async def run() -> T:
        connection: Connection = await asyncpg.connect(url, timeout=10)
        try:
            async with connection.transaction():
                return await work(connection)
        finally:
            await connection.close()

    try:
        return asyncio.run(run())
    except CloudMetricsError as error:
        raise click.ClickException(error.detail) from None
    except asyncpg.UndefinedTableError:
        raise click.ClickException(
            f"the database at {redact(url)} is not migrated: run `cloudmetrics migrate up`"
        ) from None
    except OUTAGES as error:
        raise click.ClickException(
            f"cannot reach PostgreSQL at {redact(url)}: {type(error).__name__}"
        ) from None
