"""Running one migration part: statement by statement, so a failure names its statement."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import asyncpg

from cloudmetrics.migrations.errors import MigrationFailed
from cloudmetrics.migrations.files import Migration, Part
from cloudmetrics.migrations.statements import Statement, split_statements

if TYPE_CHECKING:
    # Type only: importing cloudmetrics.database would load the web stack into every run.
    from cloudmetrics.database import Connection

# Books the ledger inside the migration's transaction (record or forget a row).
LedgerWrite = Callable[["Connection", float], Awaitable[None]]

_EXCERPT_LENGTH = 120


async def run_part(
    connection: Connection,
    migration: Migration,
    part: Part,
    direction: str,
    *,
    ledger_write: LedgerWrite,
    ddl_lock_timeout: float,
) -> float:
    """Run ``part`` and book it in the ledger; returns the duration in milliseconds.

    In a transaction (the default) the schema change and its ledger row commit together or not
    at all. A `no-transaction` file runs each statement on its own; when one fails, those before
    it stay applied and the ledger is not written, so such files must be safe to rerun.
    """
    statements = split_statements(part.sql)
    started = time.perf_counter()
    # A DDL statement queued behind a long query blocks every query queued behind it; failing
    # fast is kinder to live traffic than waiting. A file may SET its own lock_timeout.
    lock_timeout = f"{max(1, round(ddl_lock_timeout * 1000))}ms"
    if migration.transactional:
        async with connection.transaction():
            await connection.execute("SELECT set_config('lock_timeout', $1, true)", lock_timeout)
            for statement in statements:
                await _execute(connection, migration, part, direction, statement)
            duration_ms = (time.perf_counter() - started) * 1000
            await ledger_write(connection, duration_ms)
        return duration_ms
    await connection.execute("SELECT set_config('lock_timeout', $1, false)", lock_timeout)
    try:
        for statement in statements:
            await _execute(connection, migration, part, direction, statement, transactional=False)
    finally:
        await connection.execute("RESET lock_timeout")
    duration_ms = (time.perf_counter() - started) * 1000
    await ledger_write(connection, duration_ms)
    return duration_ms


async def _execute(
    connection: Connection,
    migration: Migration,
    part: Part,
    direction: str,
    statement: Statement,
    *,
    transactional: bool = True,
) -> None:
    try:
        # No arguments: asyncpg uses the simple query protocol, which accepts every statement.
        await connection.execute(statement.sql)
    except asyncpg.PostgresError as error:
        line = part.first_line + statement.line - 1 + _lines_before(statement.sql, error)
        excerpt = " ".join(statement.sql.split())
        if len(excerpt) > _EXCERPT_LENGTH:
            excerpt = excerpt[: _EXCERPT_LENGTH - 3] + "..."
        message = (str(error).strip().splitlines() or [""])[0]
        outcome = (
            "rolled back: schema and ledger are unchanged"
            if transactional
            else "no transaction: earlier statements of this file stay applied, the ledger is "
            "unchanged; make the file safe to rerun and run it again"
        )
        raise MigrationFailed(
            f"{migration.label} ({direction}) failed at line {line}: "
            f"{type(error).__name__}: {message} — in `{excerpt}`; {outcome}"
        ) from error


def _lines_before(sql: str, error: asyncpg.PostgresError) -> int:
    """How far into the statement the error points (PostgreSQL reports a 1-based offset)."""
    position = getattr(error, "position", None)
    if not position or not str(position).isdigit():
        return 0
    return sql.count("\n", 0, int(str(position)) - 1)
