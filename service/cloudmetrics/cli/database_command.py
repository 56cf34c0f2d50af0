"""Running one management command against DATABASE_URL, with every expected failure turned into
one line on stderr and exit code 1."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

import click

from cloudmetrics.cli.environment import load_settings

if TYPE_CHECKING:
    from cloudmetrics.database import Connection

T = TypeVar("T")


def run_with_connection(work: Callable[[Connection], Awaitable[T]]) -> T:
    """Connect, run ``work`` in one transaction, close. Every expected failure (the database
    down, missing or not migrated, a domain error) is one line and exit 1; the transaction
    leaves nothing half-written."""
    import asyncpg

    from cloudmetrics.errors import CloudMetricsError, describe_error
    from cloudmetrics.outages import CONNECT_OUTAGES
    from cloudmetrics.startup_waits import START_POSTGRESQL, redact

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
    except asyncpg.InvalidCatalogNameError:
        # The server answered: the database itself is missing. Nothing was written.
        database = urlsplit(url).path.lstrip("/") or "(none named)"
        raise click.ClickException(
            f"the database {database} does not exist at {redact(url)}: create it with "
            "`cloudmetrics prestart --create-database` (which also migrates it), or fix "
            "DATABASE_URL"
        ) from None
    except asyncpg.InvalidAuthorizationSpecificationError as error:
        raise click.ClickException(
            f"PostgreSQL at {redact(url)} refused the connection ({describe_error(error)}): "
            "check the role and password in DATABASE_URL"
        ) from None
    except CONNECT_OUTAGES as error:
        # Refused, unreachable, a name that does not resolve, a timeout: the server is not there.
        raise click.ClickException(
            f"PostgreSQL is not reachable at {redact(url)} ({describe_error(error)}): "
            f"{START_POSTGRESQL}"
        ) from None
