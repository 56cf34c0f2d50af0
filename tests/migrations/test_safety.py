"""The runner's refusals: it changes nothing it was not sure about, and says why in one line."""

from __future__ import annotations

import shutil
from pathlib import Path

import asyncpg
import pytest

from cloudmetrics.migrations.errors import (
    InvalidTarget,
    LedgerMismatch,
    MigrationFailed,
    MigrationLockTimeout,
)
from cloudmetrics.migrations.lock import MIGRATION_LOCK_KEY
from cloudmetrics.migrations.runner import MigrationRunner, RunnerOptions
from tests.migrations.schema import (
    REPOSITORY_IDS,
    create_ledger_table,
    fetch_value,
    ledger_rows,
    schema_snapshot,
    write_migration,
)

BROKEN_UP = """\
CREATE TABLE half_done (id bigint PRIMARY KEY);
ALTER TABLE metrics ADD COLUMN unit text;
INSERT INTO half_done VALUES (1);
INSERT INTO
    half_done VALUES (1);
"""


@pytest.fixture
def broken_migration(migrations_dir: Path) -> Path:
    """A migration whose fourth statement (file line 6) violates the primary key."""
    return write_migration(migrations_dir, "0900_broken", BROKEN_UP, "DROP TABLE half_done;")


async def test_a_failing_migration_changes_neither_schema_nor_ledger(
    migrated_database_url: str, migrations_dir: Path, broken_migration: Path
) -> None:
    schema_before = await schema_snapshot(migrated_database_url)
    ledger_before = await ledger_rows(migrated_database_url)

    with pytest.raises(MigrationFailed) as failure:
        await MigrationRunner(migrated_database_url, migrations_dir).up()

    assert await schema_snapshot(migrated_database_url) == schema_before
    assert await ledger_rows(migrated_database_url) == ledger_before
    message = str(failure.value)
    assert "0900_broken.sql (up) failed at line 6" in message
    assert "UniqueViolationError" in message
    assert "`INSERT INTO half_done VALUES (1);`" in message
    assert "rolled back" in message
    assert "\n" not in message


async def test_a_syntax_error_points_at_its_own_line_within_the_statement(
    database_url: str, tmp_path: Path
) -> None:
    write_migration(
        tmp_path, "0001_typo", "CREATE TABLE a (id bigint);\nCREATE TABLE b (\n  id bigin t\n);"
    )

    with pytest.raises(MigrationFailed) as failure:
        await MigrationRunner(database_url, tmp_path).up()

    # File line 1 is the title, 2 the up marker; the typo is on the statement's second line.
    assert "0001_typo.sql (up) failed at line 5: PostgresSyntaxError" in str(failure.value)


async def test_a_failing_first_migration_leaves_an_empty_database_empty(
    database_url: str, tmp_path: Path
) -> None:
    write_migration(tmp_path, "0001_fails", "CREATE TABLE a (id bigint);\nSELECT 1 / 0;")

    with pytest.raises(MigrationFailed, match="DivisionByZeroError"):
        await MigrationRunner(database_url, tmp_path).up()

    # Not even the ledger table: it is created in the first migration's transaction.
    assert await ledger_rows(database_url) is None
    assert await fetch_value(database_url, "SELECT to_regclass('public.a')") is None


async def test_migrations_before_the_failing_one_stay_applied(
    database_url: str, migrations_dir: Path, broken_migration: Path
) -> None:
    with pytest.raises(MigrationFailed):
        await MigrationRunner(database_url, migrations_dir).up()

    assert [row[0] for row in await ledger_rows(database_url) or []] == REPOSITORY_IDS


async def test_an_edited_applied_migration_is_refused(
    migrated_database_url: str, migrations_dir: Path
) -> None:
    write_migration(migrations_dir, "0900_add_units", "ALTER TABLE metrics ADD COLUMN unit text;")
    edited = migrations_dir / "0001_create_metrics_and_points.sql"
    edited.write_text(edited.read_text() + "-- a harmless-looking comment\n")
    runner = MigrationRunner(migrated_database_url, migrations_dir)
    schema_before = await schema_snapshot(migrated_database_url)

    with pytest.raises(LedgerMismatch, match=r"edited after being applied: 0001_create_metrics"):
        await runner.up()
    with pytest.raises(LedgerMismatch):
        await runner.verify()
    with pytest.raises(LedgerMismatch):
        await runner.down()

    assert await schema_snapshot(migrated_database_url) == schema_before
    state = await runner.status()
    assert [drift.migration.id for drift in state.drifted] == ["0001"]


@pytest.fixture
def newer_release(migrations_dir: Path, tmp_path: Path) -> Path:
    """The migrations of a later release: this code's, plus 0900."""
    folder = tmp_path / "newer"
    shutil.copytree(migrations_dir, folder)
    write_migration(folder, "0900_add_units", "ALTER TABLE metrics ADD COLUMN unit text;")
    return folder


async def test_an_applied_id_without_a_file_is_refused(
    database_url: str, migrations_dir: Path, newer_release: Path
) -> None:
    await MigrationRunner(database_url, newer_release).up()

    runner = MigrationRunner(database_url, migrations_dir)
    with pytest.raises(LedgerMismatch, match="does not know: 0900"):
        await runner.up()
    with pytest.raises(LedgerMismatch, match="pass --allow-ahead"):
        await runner.verify()
    assert [row.id for row in (await runner.status()).unknown] == ["0900"]


async def test_allow_ahead_accepts_a_database_strictly_ahead_of_the_code(
    database_url: str, migrations_dir: Path, newer_release: Path
) -> None:
    # A rollback deploy: the previous release's `up` runs on the schema the newer one expanded.
    await MigrationRunner(database_url, newer_release).up()
    printed: list[str] = []
    runner = MigrationRunner(database_url, migrations_dir, report=printed.append)

    assert await runner.up(allow_ahead=True) == []
    await runner.verify(allow_ahead=True)

    assert "ahead of this code (applied 0900 unknown here" in printed[0]
    assert [row[0] for row in await ledger_rows(database_url) or []] == [*REPOSITORY_IDS, "0900"]


async def test_allow_ahead_still_refuses_a_deleted_file_among_known_ones(
    database_url: str, small_migrations: Path
) -> None:
    await MigrationRunner(database_url, small_migrations).up()
    (small_migrations / "0001_create_a.sql").unlink()

    with pytest.raises(LedgerMismatch, match="were files deleted or renamed"):
        await MigrationRunner(database_url, small_migrations).up(allow_ahead=True)


async def test_a_pending_migration_older_than_the_applied_head_is_refused(
    database_url: str, small_migrations: Path
) -> None:
    await MigrationRunner(database_url, small_migrations).up()
    write_migration(small_migrations, "0000_from_an_old_branch", "CREATE TABLE c (id bigint);")

    with pytest.raises(LedgerMismatch, match="renumber them after 0002"):
        await MigrationRunner(database_url, small_migrations).up()
    assert await fetch_value(database_url, "SELECT to_regclass('public.c')") is None


async def test_dry_runs_change_nothing(database_url: str, small_migrations: Path) -> None:
    printed: list[str] = []
    runner = MigrationRunner(database_url, small_migrations, report=printed.append)

    planned = await runner.up(dry_run=True)

    assert [m.id for m in planned] == ["0001", "0002"]
    assert await ledger_rows(database_url) is None
    assert "CREATE TABLE a (id bigint PRIMARY KEY);" in "\n".join(printed)

    await runner.up(to="0001")
    snapshot, ledger = await schema_snapshot(database_url), await ledger_rows(database_url)
    printed.clear()
    await runner.up(dry_run=True)
    await runner.down(dry_run=True)
    await runner.redo(dry_run=True)

    assert await schema_snapshot(database_url) == snapshot
    assert await ledger_rows(database_url) == ledger
    output = "\n".join(printed)
    assert "CREATE TABLE b" in output
    assert "DROP TABLE a;" in output


async def test_down_with_more_steps_than_applied_is_refused_cleanly(
    migrated_database_url: str, migrations_dir: Path
) -> None:
    ledger_before = await ledger_rows(migrated_database_url)
    runner = MigrationRunner(migrated_database_url, migrations_dir)

    applied = len(REPOSITORY_IDS)
    with pytest.raises(
        InvalidTarget,
        match=rf"cannot roll back {applied + 4} migrations: only {applied} (is|are) applied",
    ):
        await runner.down(steps=applied + 4)
    with pytest.raises(InvalidTarget, match="at least 1"):
        await runner.down(steps=0)

    assert await ledger_rows(migrated_database_url) == ledger_before


async def test_up_and_down_stop_at_the_target(database_url: str, small_migrations: Path) -> None:
    runner = MigrationRunner(database_url, small_migrations)

    assert [m.id for m in await runner.up(to="1")] == ["0001"]
    assert [m.id for m in await runner.up()] == ["0002"]
    assert [m.id for m in await runner.down(to="0001")] == ["0002"]
    assert [row[0] for row in await ledger_rows(database_url) or []] == ["0001"]
    with pytest.raises(InvalidTarget, match=r"0002_create_b\.sql is not applied"):
        await runner.down(to="0002")
    with pytest.raises(InvalidTarget, match="no migration file has the id 0042"):
        await runner.up(to="42")


async def test_a_migration_without_a_down_part_cannot_be_rolled_back(
    database_url: str, tmp_path: Path
) -> None:
    write_migration(tmp_path, "0001_one_way", "CREATE TABLE a (id bigint);", "")
    runner = MigrationRunner(database_url, tmp_path)
    await runner.up()

    with pytest.raises(InvalidTarget, match=r"no down part.*0001_one_way\.sql"):
        await runner.down()
    assert await ledger_rows(database_url) is not None


async def test_no_transaction_files_can_build_indexes_concurrently(
    migrated_database_url: str, migrations_dir: Path
) -> None:
    write_migration(
        migrations_dir,
        "0900_index_created_at",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS metrics_created_at_idx ON metrics (created_at);",
        "DROP INDEX CONCURRENTLY IF EXISTS metrics_created_at_idx;",
        no_transaction=True,
    )
    runner = MigrationRunner(migrated_database_url, migrations_dir)

    await runner.up()
    exists = "SELECT to_regclass('public.metrics_created_at_idx') IS NOT NULL"
    assert await fetch_value(migrated_database_url, exists) is True
    await runner.down()
    assert await fetch_value(migrated_database_url, exists) is False


async def test_a_failing_no_transaction_file_says_what_stayed_applied(
    migrated_database_url: str, migrations_dir: Path
) -> None:
    write_migration(
        migrations_dir,
        "0900_two_indexes",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS m_idx ON metrics (created_at);\n"
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS m2_idx ON no_such_table (x);",
        no_transaction=True,
    )

    with pytest.raises(MigrationFailed, match="earlier statements of this file stay applied"):
        await MigrationRunner(migrated_database_url, migrations_dir).up()
    assert [row[0] for row in await ledger_rows(migrated_database_url) or []] == REPOSITORY_IDS
    # What the message promises: the first index was built, and built whole.
    valid = "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('public.m_idx')"
    assert await fetch_value(migrated_database_url, valid) is True


async def test_the_lock_wait_is_bounded_and_names_the_holder(
    migrated_database_url: str, migrations_dir: Path
) -> None:
    write_migration(migrations_dir, "0900_add_units", "ALTER TABLE metrics ADD COLUMN unit text;")
    holder = await asyncpg.connect(
        migrated_database_url, server_settings={"application_name": "another-runner"}
    )
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        runner = MigrationRunner(
            migrated_database_url, migrations_dir, options=RunnerOptions(lock_timeout=0.2)
        )
        with pytest.raises(MigrationLockTimeout) as timeout:
            await runner.up()
    finally:
        await holder.close()

    message = str(timeout.value)
    assert "another migration run holds the lock" in message
    assert "another-runner" in message
    assert "gave up after 0.2s" in message
    assert "--lock-timeout" in message
    assert [row[0] for row in await ledger_rows(migrated_database_url) or []] == REPOSITORY_IDS


async def test_an_existing_empty_ledger_is_used_as_is(
    database_url: str, small_migrations: Path
) -> None:
    await create_ledger_table(database_url)

    applied = await MigrationRunner(database_url, small_migrations).up()

    assert [m.id for m in applied] == ["0001", "0002"]


DEFERRED_VIOLATION = """\
CREATE TABLE parent (id bigint PRIMARY KEY);
CREATE TABLE child (parent_id bigint REFERENCES parent DEFERRABLE INITIALLY DEFERRED);
INSERT INTO child VALUES (42);
"""


async def test_a_constraint_failing_at_commit_names_the_file(
    migrated_database_url: str, migrations_dir: Path
) -> None:
    write_migration(
        migrations_dir, "0900_deferred", DEFERRED_VIOLATION, "DROP TABLE child, parent;"
    )
    schema_before = await schema_snapshot(migrated_database_url)

    with pytest.raises(MigrationFailed) as failure:
        await MigrationRunner(migrated_database_url, migrations_dir).up()

    message = str(failure.value)
    assert message.startswith("0900_deferred.sql (up) failed at COMMIT: ForeignKeyViolationError")
    assert "rolled back" in message
    assert "\n" not in message
    assert await schema_snapshot(migrated_database_url) == schema_before
    assert [row[0] for row in await ledger_rows(migrated_database_url) or []] == REPOSITORY_IDS


# A ledger that refuses the row: what a hand-made trigger or constraint on it would do.
REFUSE_LEDGER_ROW = (
    "ALTER TABLE public.schema_migrations ADD CONSTRAINT before_0900 CHECK (id < '0900') NOT VALID;"
)


@pytest.mark.parametrize(
    ("no_transaction", "outcome", "change_stays"),
    [(False, "rolled back", False), (True, "the statements of this file stay applied", True)],
    ids=["transactional", "no-transaction"],
)
async def test_a_refused_ledger_row_names_the_file(
    migrated_database_url: str,
    migrations_dir: Path,
    no_transaction: bool,
    outcome: str,
    change_stays: bool,
) -> None:
    write_migration(
        migrations_dir, "0900_ledger_breaker", REFUSE_LEDGER_ROW, no_transaction=no_transaction
    )

    with pytest.raises(MigrationFailed) as failure:
        await MigrationRunner(migrated_database_url, migrations_dir).up()

    message = str(failure.value)
    assert message.startswith(
        "0900_ledger_breaker.sql (up) failed writing its ledger row: CheckViolationError"
    )
    assert outcome in message
    assert [row[0] for row in await ledger_rows(migrated_database_url) or []] == REPOSITORY_IDS
    # The message is not enough: in a transaction the ledger row is written before COMMIT, so
    # its failure takes the file's own change down with it. Booked after the commit instead,
    # the constraint would stay while the ledger says the file never ran.
    assert await _constraint_exists(migrated_database_url, "before_0900") is change_stays


async def _constraint_exists(url: str, name: str) -> bool:
    connection = await asyncpg.connect(url)
    try:
        found = await connection.fetchval("SELECT 1 FROM pg_constraint WHERE conname = $1", name)
    finally:
        await connection.close()
    return found is not None
