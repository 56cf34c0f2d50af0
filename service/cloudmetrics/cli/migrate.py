"""`cloudmetrics migrate ...`: the schema migration commands (DATABASE_URL, MIGRATIONS_DIR).

Every expected failure (a refused plan, a failed statement, a lock held too long, an unreachable
server, a SIGTERM) ends the command with one line on stderr and exit code 1, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import click

from cloudmetrics.cli.environment import load_settings
from cloudmetrics.errors import describe_error

if TYPE_CHECKING:
    from cloudmetrics.migrations.plan import SchemaState
    from cloudmetrics.migrations.runner import MigrationRunner

T = TypeVar("T")

lock_timeout_option = click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0.001),
    default=30.0,
    show_default=True,
    help="Seconds to wait while another migration run holds the lock.",
)
no_transaction_lock_timeout_option = click.option(
    "--no-transaction-lock-timeout",
    type=click.FloatRange(min=0.001),
    default=300.0,
    show_default=True,
    help="lock_timeout, in seconds, for the statements of `no-transaction` files "
    "(CREATE INDEX CONCURRENTLY waits under it for every older transaction).",
)
allow_ahead_option = click.option(
    "--allow-ahead",
    is_flag=True,
    help="Accept a database that already has later migrations than this code "
    "(redeploying the previous release). Drift and deleted files are still refused.",
)
dry_run_option = click.option(
    "--dry-run", is_flag=True, help="Print the SQL that would run; change nothing."
)


@click.group()
def migrate() -> None:
    """Evolve the database schema with the SQL files in MIGRATIONS_DIR."""


@migrate.command()
@click.option("--to", "target", metavar="ID", help="Stop after this migration (e.g. 0003).")
@dry_run_option
@allow_ahead_option
@lock_timeout_option
@no_transaction_lock_timeout_option
def up(
    target: str | None,
    dry_run: bool,
    allow_ahead: bool,
    lock_timeout: float,
    no_transaction_lock_timeout: float,
) -> None:
    """Apply pending migrations, oldest first."""
    runner = migration_runner(lock_timeout, no_transaction_lock_timeout)
    run_or_exit(runner.up(to=target, dry_run=dry_run, allow_ahead=allow_ahead), runner)


@migrate.command()
@click.option("--steps", type=int, help="How many applied migrations to roll back (default 1).")
@click.option("--to", "target", metavar="ID", help="Roll back every migration after this one.")
@dry_run_option
@lock_timeout_option
@no_transaction_lock_timeout_option
def down(
    steps: int | None,
    target: str | None,
    dry_run: bool,
    lock_timeout: float,
    no_transaction_lock_timeout: float,
) -> None:
    """Roll back applied migrations, newest first."""
    runner = migration_runner(lock_timeout, no_transaction_lock_timeout)
    run_or_exit(runner.down(steps=steps, to=target, dry_run=dry_run), runner)


@migrate.command()
@click.option("--steps", type=int, default=1, show_default=True, help="How many to redo.")
@dry_run_option
@lock_timeout_option
@no_transaction_lock_timeout_option
def redo(
    steps: int, dry_run: bool, lock_timeout: float, no_transaction_lock_timeout: float
) -> None:
    """Roll back the newest migrations and apply them again (checks a down part works)."""
    runner = migration_runner(lock_timeout, no_transaction_lock_timeout)
    run_or_exit(runner.redo(steps=steps, dry_run=dry_run), runner)


@migrate.command()
def status() -> None:
    """List every migration as applied, pending, drifted (file edited) or unknown (no file)."""
    from cloudmetrics.migrations.status import describe

    state = run_or_exit(migration_runner().status())
    click.echo(describe(state))


@migrate.command()
@allow_ahead_option
def verify(allow_ahead: bool) -> None:
    """Exit 1 when an applied migration's file changed or an applied id has no file."""
    from cloudmetrics.migrations.status import summary

    state: SchemaState = run_or_exit(migration_runner().verify(allow_ahead=allow_ahead))
    click.echo(f"verified: {summary(state)}")


@migrate.command()
@click.argument("name")
def new(name: str) -> None:
    """Create the next numbered migration file, e.g. `migrate new add_units_to_metrics`."""
    from cloudmetrics.migrations.errors import MigrationError
    from cloudmetrics.migrations.scaffold import create_migration

    settings = load_settings()
    try:
        path = create_migration(settings.migrations_dir, name)
    except MigrationError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"created {path}")


@migrate.command()
def lint() -> None:
    """Check the up and down part of every migration with squawk."""
    from cloudmetrics.migrations.errors import MigrationError
    from cloudmetrics.migrations.lint import lint_migrations

    settings = load_settings()
    try:
        findings = lint_migrations(settings.migrations_dir)
    except MigrationError as error:
        raise click.ClickException(str(error)) from None
    for finding in findings:
        click.echo(str(finding))
    if findings:
        raise click.ClickException(f"squawk found {len(findings)} problem(s) in the migrations")
    click.echo("squawk: every migration passes")


def migration_runner(
    lock_timeout: float = 30.0, no_transaction_lock_timeout: float = 300.0
) -> MigrationRunner:
    from cloudmetrics.migrations.runner import MigrationRunner, RunnerOptions

    settings = load_settings()
    options = RunnerOptions(
        lock_timeout=lock_timeout,
        connect_timeout=settings.database.connect_timeout,
        no_transaction_lock_timeout=no_transaction_lock_timeout,
    )
    return MigrationRunner(
        settings.database.url, settings.migrations_dir, options=options, report=click.echo
    )


class Terminated(Exception):
    """SIGTERM arrived; the work was cancelled and its cleanup has run."""


def run_or_exit(work: Coroutine[Any, Any, T], runner: MigrationRunner | None = None) -> T:
    """Run the runner's coroutine; turn every expected failure into one line and exit 1.

    ``runner``, when given, says which migration a SIGTERM interrupted.
    """
    from cloudmetrics.migrations.errors import MigrationError
    from cloudmetrics.migrations.lock import CONNECTION_FAILURES

    try:
        return asyncio.run(cancelled_by_sigterm(work))
    except Terminated:
        raise click.ClickException(interrupted(runner)) from None
    except MigrationError as error:
        raise click.ClickException(str(error)) from None
    except CONNECTION_FAILURES as error:
        raise click.ClickException(describe_error(error)) from None


async def cancelled_by_sigterm(work: Coroutine[Any, Any, T]) -> T:
    """Await ``work``; a SIGTERM cancels it (and then raises Terminated) instead of killing us.

    SIGTERM is how ECS and most supervisors stop a task. Dying at once would leave the server
    session running the statement and holding the migration lock; cancelling makes asyncpg
    cancel the statement and lets the finally blocks roll back, unlock and close. A second
    SIGTERM kills the process as usual.
    """
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    received: list[bool] = []

    def on_sigterm() -> None:
        received.append(True)
        loop.remove_signal_handler(signal.SIGTERM)
        if task is not None:
            task.cancel()

    # Only the main thread may handle signals (an embedding program may run us in another),
    # and Windows event loops cannot: there, SIGTERM keeps its default action.
    handling = threading.current_thread() is threading.main_thread()
    if handling:
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signal.SIGTERM, on_sigterm)
    try:
        return await work
    except asyncio.CancelledError:
        if not received:
            raise
        raise Terminated from None
    finally:
        if handling:
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(signal.SIGTERM)


def interrupted(runner: MigrationRunner | None) -> str:
    """What a SIGTERM interrupted; migrations reported as applied before it stay applied."""
    if runner is None:
        return (
            "interrupted by SIGTERM; a migration in progress was rolled back (a no-transaction "
            "one keeps its earlier statements)"
        )
    running = runner.running
    if running is None:
        return "interrupted by SIGTERM; no migration was running"
    migration, direction = running
    if migration.transactional:
        return f"interrupted by SIGTERM; rolled back {migration.label} ({direction})"
    return (
        f"interrupted by SIGTERM during {migration.label} ({direction}, no transaction): its "
        "earlier statements stay applied and it is not recorded; drop any INVALID index it "
        "left (DROP INDEX CONCURRENTLY) before running it again"
    )
