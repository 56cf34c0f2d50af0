"""The migration runner: up, down, redo, status and verify, with a dry run for each change.

Every command reads the files first (a malformed file stops it before it connects), then works on
one dedicated connection. Commands that change the schema take the migration lock, re-read the
ledger under it (another runner may just have finished), refuse to act on a ledger that disagrees
with the files, and run each migration in its own transaction together with its ledger row.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cloudmetrics.migrations import ledger
from cloudmetrics.migrations.errors import InvalidTarget, MigrationFileError
from cloudmetrics.migrations.execute import LedgerWrite, run_part
from cloudmetrics.migrations.files import Migration, load_migrations, normalize_id
from cloudmetrics.migrations.lock import dedicated_connection, migration_lock
from cloudmetrics.migrations.plan import SchemaState, compare, refuse_mismatch
from cloudmetrics.migrations.sql_preview import preview

if TYPE_CHECKING:
    # Type only: importing cloudmetrics.database would load the web stack into every run.
    from cloudmetrics.database import Connection

Report = Callable[[str], None]


def _silent(_: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class RunnerOptions:
    # How long to wait for another runner's lock before giving up.
    lock_timeout: float = 30.0
    connect_timeout: float = 10.0
    # lock_timeout set for each migration's own statements (see execute.run_part).
    ddl_lock_timeout: float = 10.0
    # The same for `no-transaction` files: CREATE INDEX CONCURRENTLY waits for every older
    # transaction under lock_timeout, and a build that gives up leaves an INVALID index.
    no_transaction_lock_timeout: float = 300.0


class MigrationRunner:
    """Applies the migrations in ``migrations_dir`` to the database at ``url``.

    ``report`` receives one line per event (a migration applied, the SQL of a dry run).
    """

    def __init__(
        self,
        url: str,
        migrations_dir: str | Path,
        *,
        options: RunnerOptions | None = None,
        report: Report = _silent,
    ) -> None:
        self.url = url
        self.migrations_dir = Path(migrations_dir)
        self.options = options or RunnerOptions()
        self.report = report
        # The migration part running now, as (migration, "up" or "down"): what an interrupted
        # run was doing (see cli.migrate.run_or_exit). Cleared once the part is booked.
        self.running: tuple[Migration, str] | None = None

    async def status(self) -> SchemaState:
        migrations = load_migrations(self.migrations_dir)
        async with self._connection() as connection:
            return compare(migrations, await ledger.read_ledger(connection))

    async def verify(self, *, allow_ahead: bool = False) -> SchemaState:
        """The state, or LedgerMismatch when an applied file changed or has no file."""
        state = await self.status()
        refuse_mismatch(state, allow_ahead=allow_ahead)
        return state

    async def up(
        self, *, to: str | None = None, dry_run: bool = False, allow_ahead: bool = False
    ) -> list[Migration]:
        """Apply pending migrations (up to and including ``to``); returns what it applied.

        ``allow_ahead`` makes a database strictly ahead of this code a no-op instead of an
        error: the previous release being redeployed after an expand migration.
        """
        migrations = load_migrations(self.migrations_dir)
        target = _find(migrations, to) if to is not None else None
        async with self._connection(read_only=dry_run) as connection:
            # Read without the lock first: on an up-to-date database (every deploy) this one
            # query is the whole run, and it never queues behind another runner.
            state = compare(migrations, await ledger.read_ledger(connection))
            refuse_mismatch(state, allow_ahead=allow_ahead)
            if state.ledger is not None and not _pending_until(state, target):
                self.report(_nothing_to_apply(state))
                return []
            if dry_run:
                selected = _pending_until(state, target)
                self.report(preview(selected, "up"))
                return selected
            async with migration_lock(connection, timeout=self.options.lock_timeout):
                current = await ledger.read_ledger(connection)
                state = compare(migrations, current or [])
                refuse_mismatch(state, allow_ahead=allow_ahead)
                selected = _pending_until(state, target)
                for index, migration in enumerate(selected):
                    # The ledger table is born in the first migration's transaction, so a
                    # failing first migration leaves a database exactly as empty as it was.
                    await self._apply(
                        connection, migration, create_ledger=current is None and index == 0
                    )
                if not selected:
                    if current is None:
                        await ledger.create_ledger(connection)
                    self.report(_nothing_to_apply(state))
                return selected

    async def down(
        self, *, steps: int | None = None, to: str | None = None, dry_run: bool = False
    ) -> list[Migration]:
        """Roll back the last ``steps`` migrations (default 1), or every one after ``to``."""
        migrations = load_migrations(self.migrations_dir)
        async with self._connection(read_only=dry_run) as connection:
            if dry_run:
                state = compare(migrations, await ledger.read_ledger(connection))
                selected = _rollback_targets(state, steps=steps, to=to)
                self.report(preview(selected, "down"))
                return selected
            async with migration_lock(connection, timeout=self.options.lock_timeout):
                state = compare(migrations, await ledger.read_ledger(connection))
                selected = _rollback_targets(state, steps=steps, to=to)
                for migration in selected:
                    await self._revert(connection, migration)
                return selected

    async def redo(self, *, steps: int = 1, dry_run: bool = False) -> list[Migration]:
        """Roll back the last ``steps`` migrations and apply them again, under one lock."""
        migrations = load_migrations(self.migrations_dir)
        async with self._connection(read_only=dry_run) as connection:
            if dry_run:
                state = compare(migrations, await ledger.read_ledger(connection))
                selected = _rollback_targets(state, steps=steps, to=None)
                self.report(preview(selected, "down"))
                self.report(preview(list(reversed(selected)), "up"))
                return selected
            async with migration_lock(connection, timeout=self.options.lock_timeout):
                state = compare(migrations, await ledger.read_ledger(connection))
                selected = _rollback_targets(state, steps=steps, to=None)
                for migration in selected:
                    await self._revert(connection, migration)
                for migration in reversed(selected):
                    await self._apply(connection, migration)
                return selected

    async def _apply(
        self, connection: Connection, migration: Migration, *, create_ledger: bool = False
    ) -> None:
        async def book(conn: Connection, duration_ms: float) -> None:
            if create_ledger:
                await ledger.create_ledger(conn)
            await ledger.record(conn, migration, duration_ms)

        duration_ms = await self._run(connection, migration, "up", book)
        self.report(f"applied {migration.label} in {duration_ms:.0f} ms")

    async def _revert(self, connection: Connection, migration: Migration) -> None:
        async def unbook(conn: Connection, _duration_ms: float) -> None:
            await ledger.forget(conn, migration.id)

        duration_ms = await self._run(connection, migration, "down", unbook)
        self.report(f"rolled back {migration.label} in {duration_ms:.0f} ms")

    async def _run(
        self, connection: Connection, migration: Migration, direction: str, book: LedgerWrite
    ) -> float:
        lock_timeout = (
            self.options.ddl_lock_timeout
            if migration.transactional
            else self.options.no_transaction_lock_timeout
        )
        self.running = (migration, direction)
        duration_ms = await run_part(
            connection,
            migration,
            migration.up if direction == "up" else migration.down,
            direction,
            ledger_write=book,
            lock_timeout=lock_timeout,
        )
        self.running = None
        return duration_ms

    def _connection(self, *, read_only: bool = True) -> AbstractAsyncContextManager[Connection]:
        return dedicated_connection(
            self.url, connect_timeout=self.options.connect_timeout, read_only=read_only
        )


def _nothing_to_apply(state: SchemaState) -> str:
    message = f"nothing to apply: the database is at {state.head or 'no migration'}"
    if state.unknown:
        ids = ", ".join(row.id for row in state.unknown)
        message += f", ahead of this code (applied {ids} unknown here; allowed by --allow-ahead)"
    return message


def _find(migrations: list[Migration], text: str) -> Migration:
    wanted = normalize_id(text)
    for migration in migrations:
        if migration.id == wanted:
            return migration
    raise InvalidTarget(f"no migration file has the id {wanted}")


def _pending_until(state: SchemaState, target: Migration | None) -> list[Migration]:
    """The pending migrations to apply; refuses the lot if one has no up part yet."""
    selected = [m for m in state.pending if target is None or m.id <= target.id]
    unwritten = [migration.label for migration in selected if migration.up.is_empty]
    if unwritten:
        raise MigrationFileError(
            f"{', '.join(unwritten)}: the up part is empty; write the change (or delete the "
            "file) before applying it"
        )
    return selected


def _rollback_targets(state: SchemaState, *, steps: int | None, to: str | None) -> list[Migration]:
    """The applied migrations to roll back, newest first; refuses anything it cannot undo."""
    refuse_mismatch(state)
    if steps is not None and to is not None:
        raise InvalidTarget("give either --steps or --to, not both")
    applied = list(reversed(state.applied))
    if to is not None:
        target = _find(state.migrations, to)
        if target not in state.applied:
            raise InvalidTarget(f"{target.label} is not applied; nothing to roll back to")
        selected = [migration for migration in applied if migration.id > target.id]
    else:
        count = 1 if steps is None else steps
        if count < 1:
            raise InvalidTarget(f"--steps must be at least 1, got {count}")
        if count > len(applied):
            raise InvalidTarget(
                f"cannot roll back {count} migration{'s' if count != 1 else ''}: "
                f"only {len(applied)} {'is' if len(applied) == 1 else 'are'} applied"
            )
        selected = applied[:count]
    irreversible = [migration.label for migration in selected if migration.down.is_empty]
    if irreversible:
        raise InvalidTarget(
            f"no down part, so they cannot be rolled back: {', '.join(irreversible)}"
        )
    return selected
