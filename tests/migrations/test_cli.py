"""`cloudmetrics migrate ...`: exit codes and one-line messages, never a traceback."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cloudmetrics.cli import main
from tests.migrations.schema import (
    REPOSITORY_HEAD,
    REPOSITORY_IDS,
    REPOSITORY_MIGRATIONS,
    ledger_rows,
    write_migration,
)
from tests.support.ports import free_port


@pytest.fixture
def cli(database_url: str, migrations_dir: Path) -> CliRunnerFor:
    return CliRunnerFor(database_url, migrations_dir)


class CliRunnerFor:
    """Runs `cloudmetrics migrate ...` against one database and one migrations folder."""

    def __init__(self, database_url: str, migrations_dir: Path) -> None:
        self.database_url = database_url
        self.migrations_dir = migrations_dir

    def __call__(self, *args: str, database_url: str | None = None) -> Result:
        environment = {
            "DATABASE_URL": database_url or self.database_url,
            "MIGRATIONS_DIR": str(self.migrations_dir),
        }
        return CliRunner().invoke(main, ["migrate", *args], env=environment)


def assert_one_line_error(result: Result, fragment: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    # Progress lines may come first; the error itself is one line, and the last.
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    assert result.output.strip().splitlines()[-1] == errors[0]
    assert fragment in errors[0]


def test_up_applies_then_is_a_no_op(cli: CliRunnerFor) -> None:
    first = cli("up")
    second = cli("up")

    assert first.exit_code == 0, first.output
    assert "applied 0001_create_metrics_and_points.sql in " in first.output
    assert second.exit_code == 0, second.output
    assert f"nothing to apply: the database is at {REPOSITORY_HEAD}" in second.output


def test_status_lists_pending_then_applied(cli: CliRunnerFor) -> None:
    before = cli("status")
    cli("up")
    after = cli("status")

    assert before.exit_code == 0
    assert "pending  0001_create_metrics_and_points.sql" in before.output
    assert "ledger table does not exist yet" in before.output
    assert after.exit_code == 0
    assert "applied  0001_create_metrics_and_points.sql " in after.output
    applied = len(REPOSITORY_IDS)
    assert (
        f"at {REPOSITORY_HEAD}; {applied} applied, 0 pending, 0 drifted, 0 unknown" in after.output
    )


def test_verify_passes_then_fails_on_an_edited_file(cli: CliRunnerFor) -> None:
    cli("up")
    assert cli("verify").exit_code == 0

    edited = cli.migrations_dir / "0001_create_metrics_and_points.sql"
    edited.write_text(edited.read_text().replace("CREATE TABLE points", "CREATE TABLE  points"))
    result = cli("verify")

    assert_one_line_error(result, "edited after being applied: 0001_create_metrics_and_points.sql")
    assert "drifted  0001" in cli("status").output


def test_up_allows_a_database_ahead_only_when_asked(
    cli: CliRunnerFor, migrations_dir: Path, tmp_path: Path
) -> None:
    newer = CliRunnerFor(cli.database_url, tmp_path / "newer")
    shutil.copytree(migrations_dir, newer.migrations_dir)
    write_migration(
        newer.migrations_dir, "0900_add_units", "ALTER TABLE metrics ADD COLUMN u text;"
    )
    assert newer("up").exit_code == 0

    assert_one_line_error(cli("up"), "does not know: 0900")
    allowed = cli("up", "--allow-ahead")
    assert allowed.exit_code == 0, allowed.output
    assert "nothing to apply: the database is at 0900, ahead of this code" in allowed.output
    assert cli("verify", "--allow-ahead").exit_code == 0


def test_dry_run_prints_sql_and_changes_nothing(cli: CliRunnerFor) -> None:
    result = cli("up", "--dry-run")

    assert result.exit_code == 0, result.output
    assert "-- dry run: 0001_create_metrics_and_points.sql (up, in a transaction)" in result.output
    assert "CREATE TABLE metrics (" in result.output
    assert asyncio.run(ledger_rows(cli.database_url)) is None


def test_down_redo_and_their_refusals(cli: CliRunnerFor) -> None:
    cli("up")

    too_many = len(REPOSITORY_IDS) + 1
    assert_one_line_error(
        cli("down", "--steps", str(too_many)), f"only {len(REPOSITORY_IDS)} are applied"
    )
    assert_one_line_error(cli("down", "--steps", "1", "--to", "0001"), "either --steps or --to")
    redo = cli("redo")
    assert redo.exit_code == 0, redo.output
    assert f"rolled back {REPOSITORY_HEAD}" in redo.output
    assert f"applied {REPOSITORY_HEAD}" in redo.output
    down = cli("down", "--to", REPOSITORY_IDS[0])
    assert down.exit_code == 0, down.output
    rows = asyncio.run(ledger_rows(cli.database_url)) or []
    assert [row[0] for row in rows] == REPOSITORY_IDS[:1]
    assert cli("down").exit_code == 0
    assert asyncio.run(ledger_rows(cli.database_url)) == []


def test_a_failing_migration_names_file_line_and_statement(cli: CliRunnerFor) -> None:
    write_migration(
        cli.migrations_dir, "0900_broken", "SELECT 1;\nSELECT no_such_column FROM metrics;"
    )

    result = cli("up")

    assert_one_line_error(result, "0900_broken.sql (up) failed at line 4: UndefinedColumnError")
    assert "`SELECT no_such_column FROM metrics;`" in result.output


def test_a_malformed_file_is_named(cli: CliRunnerFor) -> None:
    (cli.migrations_dir / "0900_no_markers.sql").write_text("CREATE TABLE x (id bigint);\n")

    assert_one_line_error(cli("status"), "0900_no_markers.sql: needs a `-- migrate:up` line")


def test_an_unreachable_database_is_one_line_without_the_password(cli: CliRunnerFor) -> None:
    url = f"postgresql://postgres:s3cret@127.0.0.1:{free_port()}/nowhere"

    result = cli("up", database_url=url)

    assert_one_line_error(result, "cannot connect to PostgreSQL at postgresql://postgres:***@")
    assert "s3cret" not in result.output


def test_a_held_lock_times_out_with_advice(cli: CliRunnerFor) -> None:
    async def hold_lock_while_migrating() -> Result:
        import asyncpg

        from cloudmetrics.migrations.lock import MIGRATION_LOCK_KEY

        holder = await asyncpg.connect(cli.database_url)
        try:
            await holder.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
            # The command runs its own event loop: give it a thread of its own.
            return await asyncio.to_thread(cli, "up", "--lock-timeout", "0.2")
        finally:
            await holder.close()

    result = asyncio.run(hold_lock_while_migrating())

    assert_one_line_error(result, "another migration run holds the lock")
    assert "--lock-timeout" in result.output


def test_new_scaffolds_the_next_file(cli: CliRunnerFor) -> None:
    result = cli("new", "Add units to metrics")

    next_id = f"{int(REPOSITORY_HEAD) + 1:04d}"
    created = cli.migrations_dir / f"{next_id}_add_units_to_metrics.sql"
    assert result.exit_code == 0, result.output
    assert f"created {created}" in result.output
    text = created.read_text()
    assert "-- migrate:up" in text
    assert "-- migrate:down" in text
    # Until someone writes its up part, the scaffold cannot be applied by accident...
    assert_one_line_error(cli("up"), f"{next_id}_add_units_to_metrics.sql: the up part is empty")
    assert_one_line_error(cli("up", "--dry-run"), "the up part is empty")
    # ...while every other command keeps working, `new` included.
    status = cli("status")
    assert status.exit_code == 0, status.output
    assert next_id in status.output
    assert cli("new", "another change").exit_code == 0
    following = f"{int(next_id) + 1:04d}"
    assert (cli.migrations_dir / f"{following}_another_change.sql").exists()


def test_lint_refuses_to_run_without_its_configuration(cli: CliRunnerFor) -> None:
    assert_one_line_error(cli("lint"), "squawk configuration")


def test_lint_passes_on_the_repository_and_names_problems(cli: CliRunnerFor) -> None:
    # squawk's configuration lives beside the migrations folder, as in the repository.
    for name in (".squawk.toml", ".squawk-down.toml"):
        shutil.copy(REPOSITORY_MIGRATIONS.parent / name, cli.migrations_dir.parent / name)
    clean = cli("lint")
    assert clean.exit_code == 0, clean.output
    assert "squawk: every migration passes" in clean.output

    write_migration(cli.migrations_dir, "0900_index", "CREATE INDEX m_idx ON metrics (created_at);")
    result = cli("lint")

    assert result.exit_code == 1
    assert "0900_index.sql:3:1: [up] require-concurrent-index-creation" in result.output
    assert "Error: squawk found 1 problem(s)" in result.output
