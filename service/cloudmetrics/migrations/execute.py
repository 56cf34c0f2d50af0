"""Running one migration part: statement by statement, so a failure names its statement."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import asyncpg

from cloudmetrics.errors import describe_error
from cloudmetrics.migrations.errors import MigrationFailed
from cloudmetrics.migrations.files import Migration, Part
from cloudmetrics.migrations.invalid_indexes import (
    describe,
    drop_advice,
    invalid_indexes,
    invalid_indexes_after_failure,
)
from cloudmetrics.migrations.lock import CONNECTION_FAILURES
from cloudmetrics.migrations.statements import Statement, split_statements

if TYPE_CHECKING:
    # Type only: importing cloudmetrics.database would load the web stack into every run.
    from cloudmetrics.database import Connection

# Books the ledger inside the migration's transaction (record or forget a row).
LedgerWrite = Callable[["Connection", float], Awaitable[None]]

_EXCERPT_LENGTH = 120
ROLLED_BACK = "rolled back: schema and ledger are unchanged"
# Every run shares one connection: a `SET search_path` (or any SET without LOCAL) in one file
# would otherwise reach the next. RESET ALL goes back to the values the connection started
# with, which keeps the runner's startup settings (application_name and the like); the runner
# sets lock_timeout again for each part.
RESET_SESSION = "RESET ALL"


async def run_part(
    connection: Connection,
    migration: Migration,
    part: Part,
    direction: str,
    *,
    ledger_write: LedgerWrite,
    lock_timeout: float,
) -> float:
    """Run ``part`` and book it in the ledger; returns the duration in milliseconds.

    In a transaction (the default) the schema change and its ledger row commit together or not
    at all. A `no-transaction` file runs each statement on its own; when one fails, those before
    it stay applied and the ledger is not written, so such files must be safe to rerun.
    """
    # Reset before the part rather than after its COMMIT: nothing then runs between a commit
    # and the report of it, where an interruption would leave the report wrong.
    await connection.execute(RESET_SESSION)
    if migration.transactional:
        return await _run_in_transaction(
            connection, migration, part, direction, ledger_write, lock_timeout
        )
    return await _run_without_transaction(
        connection, migration, part, direction, ledger_write, lock_timeout
    )


async def _run_in_transaction(
    connection: Connection,
    migration: Migration,
    part: Part,
    direction: str,
    ledger_write: LedgerWrite,
    lock_timeout: float,
) -> float:
    started = time.perf_counter()
    duration_ms = 0.0
    committing = False
    try:
        async with connection.transaction():
            # A DDL statement queued behind a long query blocks every query queued behind it;
            # failing fast is kinder to live traffic. A file may SET LOCAL its own lock_timeout.
            await connection.execute(
                "SELECT set_config('lock_timeout', $1, true)", _milliseconds(lock_timeout)
            )
            for statement in split_statements(part.sql):
                await _execute(connection, migration, part, direction, statement)
            duration_ms = (time.perf_counter() - started) * 1000
            await _book(connection, migration, direction, ledger_write, duration_ms, ROLLED_BACK)
            committing = True
    except asyncpg.PostgresError as error:
        if not committing:
            raise
        # Deferred constraints (and serialization failures) are only checked at COMMIT.
        raise _failure(migration, direction, "failed at COMMIT", error, ROLLED_BACK) from error
    return duration_ms


async def _run_without_transaction(
    connection: Connection,
    migration: Migration,
    part: Part,
    direction: str,
    ledger_write: LedgerWrite,
    lock_timeout: float,
) -> float:
    started = time.perf_counter()
    # Usually longer than the transactional one: CREATE INDEX CONCURRENTLY waits for every
    # older transaction to end, that wait counts against lock_timeout, and hitting it leaves
    # an INVALID index behind. Concurrent builds block no reads or writes while they wait.
    await connection.execute(
        "SELECT set_config('lock_timeout', $1, false)", _milliseconds(lock_timeout)
    )
    failed = True
    try:
        for statement in split_statements(part.sql):
            await _execute(connection, migration, part, direction, statement, transactional=False)
        await _refuse_invalid_indexes(connection, migration, direction)
        failed = False
    finally:
        # On failure the run stops and the connection closes: never hide the failure itself.
        with contextlib.suppress(*(CONNECTION_FAILURES if failed else ())):
            await connection.execute(RESET_SESSION)
    duration_ms = (time.perf_counter() - started) * 1000
    not_recorded = (
        "no transaction: the statements of this file stay applied, but it is not recorded as "
        f"{'applied' if direction == 'up' else 'rolled back'}; repair the ledger table and run "
        "it again"
    )
    await _book(connection, migration, direction, ledger_write, duration_ms, not_recorded)
    return duration_ms


async def _refuse_invalid_indexes(
    connection: Connection, migration: Migration, direction: str
) -> None:
    """A rerun skips an INVALID index (IF NOT EXISTS): recording the file would be a lie."""
    names = await invalid_indexes(connection)
    if names:
        raise MigrationFailed(
            f"{migration.label} ({direction}) ran, but the database holds {describe(names)} "
            "(what a failed CREATE INDEX CONCURRENTLY leaves, and IF NOT EXISTS then skips; "
            "or a build still running in another session); the ledger is unchanged: run "
            f"{drop_advice(names)} and run it again"
        )


async def _book(
    connection: Connection,
    migration: Migration,
    direction: str,
    ledger_write: LedgerWrite,
    duration_ms: float,
    outcome: str,
) -> None:
    try:
        await ledger_write(connection, duration_ms)
    except asyncpg.PostgresError as error:
        where = "failed writing its ledger row"
        raise _failure(migration, direction, where, error, outcome) from error


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
        outcome = ROLLED_BACK if transactional else await _left_behind(connection)
        raise _failure(
            migration, direction, f"failed at line {line}", error, outcome, f" — in `{excerpt}`"
        ) from error


async def _left_behind(connection: Connection) -> str:
    """What a failed `no-transaction` part leaves, and what to do before running it again."""
    outcome = (
        "no transaction: earlier statements of this file stay applied, the ledger is unchanged; "
    )
    names = await invalid_indexes_after_failure(connection)
    if names:
        outcome += f"the database holds {describe(names)}: run {drop_advice(names)} first, then "
    return outcome + "make the file safe to rerun (IF NOT EXISTS) and run it again"


def _failure(
    migration: Migration,
    direction: str,
    where: str,
    error: asyncpg.PostgresError,
    outcome: str,
    detail: str = "",
) -> MigrationFailed:
    return MigrationFailed(
        f"{migration.label} ({direction}) {where}: {describe_error(error)}{detail}; {outcome}"
    )


def _milliseconds(seconds: float) -> str:
    return f"{max(1, round(seconds * 1000))}ms"


def _lines_before(sql: str, error: asyncpg.PostgresError) -> int:
    """How far into the statement the error points (PostgreSQL reports a 1-based offset)."""
    position = getattr(error, "position", None)
    if not position or not str(position).isdigit():
        return 0
    return sql.count("\n", 0, int(str(position)) - 1)
