"""Reading migration files and splitting their SQL into statements (no database needed)."""

from __future__ import annotations

import fnmatch
import hashlib
from pathlib import Path

import pytest

from cloudmetrics.migrations.errors import InvalidTarget, MigrationFileError
from cloudmetrics.migrations.files import load_migrations, normalize_id
from cloudmetrics.migrations.scaffold import create_migration
from cloudmetrics.migrations.statements import split_statements
from tests.migrations.schema import REPOSITORY_MIGRATIONS, write_migration


def test_parts_keep_their_file_lines_and_the_checksum_covers_every_byte(tmp_path: Path) -> None:
    path = write_migration(tmp_path, "0001_a", "CREATE TABLE a (id bigint);", "DROP TABLE a;")

    (migration,) = load_migrations(tmp_path)

    assert (migration.id, migration.name, migration.transactional) == ("0001", "a", True)
    assert migration.up.first_line == 3
    assert migration.up.sql.strip() == "CREATE TABLE a (id bigint);"
    assert migration.down.sql.strip() == "DROP TABLE a;"
    assert migration.checksum == hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_no_transaction_marker_is_read(tmp_path: Path) -> None:
    write_migration(
        tmp_path, "0001_a", "CREATE INDEX CONCURRENTLY i ON t (c);", no_transaction=True
    )

    (migration,) = load_migrations(tmp_path)

    assert migration.transactional is False


def test_files_are_ordered_by_id_and_other_files_ignored(tmp_path: Path) -> None:
    write_migration(tmp_path, "0010_later", "SELECT 1;")
    write_migration(tmp_path, "0002_earlier", "SELECT 1;")
    (tmp_path / "README.md").write_text("notes")

    assert [m.id for m in load_migrations(tmp_path)] == ["0002", "0010"]


@pytest.mark.parametrize(
    ("name", "text", "complaint"),
    [
        ("0001-dash.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down\n", "are named NNNN_"),
        ("0001_a.sql", "SELECT 1;\n", "needs a `-- migrate:up` line"),
        ("0001_a.sql", "-- migrate:down\n-- migrate:up\nSELECT 1;\n", "must come after"),
        ("0001_a.sql", "SELECT 1;\n-- migrate:up\nSELECT 1;\n-- migrate:down\n", "only comments"),
        (
            "0001_a.sql",
            "-- migrate:up\n-- migrate:no-transaction\nSELECT 1;\n-- migrate:down\n",
            "belongs above",
        ),
        (
            "0001_a.sql",
            "-- migrate:up\nSELECT 1;\n-- migrate:up\n-- migrate:down\n",
            "appears twice",
        ),
    ],
)
def test_malformed_files_are_refused_by_name(
    tmp_path: Path, name: str, text: str, complaint: str
) -> None:
    (tmp_path / name).write_text(text)

    with pytest.raises(MigrationFileError, match=rf"^{name}.*{complaint}"):
        load_migrations(tmp_path)


@pytest.mark.parametrize("statement", ["BEGIN;", "COMMIT;", "end;", "START TRANSACTION;"])
def test_transaction_control_in_a_file_is_refused(tmp_path: Path, statement: str) -> None:
    write_migration(tmp_path, "0001_a", f"CREATE TABLE a (id bigint);\n{statement}")

    with pytest.raises(MigrationFileError, match=r"0001_a\.sql line 4: .* is the runner's job"):
        load_migrations(tmp_path)


def test_begin_inside_a_function_body_is_fine(tmp_path: Path) -> None:
    body = "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN 1;\nEND;\n$$;"
    write_migration(tmp_path, "0001_a", body, "DROP FUNCTION f();")

    (migration,) = load_migrations(tmp_path)

    assert migration.up.sql.strip() == body


def test_two_files_with_one_id_are_refused(tmp_path: Path) -> None:
    write_migration(tmp_path, "0002_from_main", "SELECT 1;")
    write_migration(tmp_path, "0002_from_a_branch", "SELECT 1;")

    with pytest.raises(MigrationFileError, match="share the id 0002; renumber one"):
        load_migrations(tmp_path)


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(MigrationFileError, match="does not exist"):
        load_migrations(tmp_path / "nowhere")


@pytest.mark.parametrize("text", ["7", "0007", "0007_add_units", "0007_add_units.sql"])
def test_ids_can_be_given_short_or_long(text: str) -> None:
    assert normalize_id(text) == "0007"


def test_a_non_id_target_is_refused() -> None:
    with pytest.raises(InvalidTarget, match="not a migration id"):
        normalize_id("latest")


def test_statements_split_on_semicolons_outside_quotes_and_comments() -> None:
    sql = """
-- a comment; with a semicolon
CREATE TABLE a (note text DEFAULT 'it''s; fine');
/* block; /* nested; */ still comment; */
CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $body$
BEGIN
    RETURN 'x;y';
END;
$body$;
SELECT E'escaped \\' quote;', "odd;name", $$dollar;$$ FROM a;
SELECT 1"""

    statements = split_statements(sql)

    assert [s.line for s in statements] == [3, 5, 10, 11]
    assert statements[0].sql == "CREATE TABLE a (note text DEFAULT 'it''s; fine');"
    assert statements[1].sql.startswith("CREATE FUNCTION")
    assert statements[1].sql.endswith("$body$;")
    assert statements[2].sql.startswith("SELECT E'escaped")
    assert statements[3].sql == "SELECT 1"


def test_comment_only_text_has_no_statements() -> None:
    assert split_statements("-- nothing here\n/* nor here */\n;\n") == []


def test_the_repository_migrations_all_parse_and_have_down_parts() -> None:
    migrations = load_migrations(REPOSITORY_MIGRATIONS)

    assert migrations
    for migration in migrations:
        assert not migration.down.is_empty, f"{migration.label} cannot be rolled back"


def test_the_scaffold_takes_the_next_id(tmp_path: Path) -> None:
    write_migration(tmp_path, "0041_before", "SELECT 1;")

    path = create_migration(tmp_path, "Add units: to metrics!")

    assert path.name == "0042_add_units_to_metrics.sql"
    assert path.read_text().startswith("-- Add units to metrics: what changes and why.")


def test_the_scaffold_refuses_an_unusable_name(tmp_path: Path) -> None:
    with pytest.raises(MigrationFileError, match="no usable file name"):
        create_migration(tmp_path, "!!!")


def test_git_checks_migrations_out_with_lf_line_endings() -> None:
    # Checksums cover the raw bytes: a CRLF checkout would show every applied file as drifted.
    # Read from .gitattributes itself, not from `git check-attr`: the pipeline's containers
    # get the source without .git, and the rule must hold there too.
    repository = REPOSITORY_MIGRATIONS.resolve().parent
    paths = sorted(REPOSITORY_MIGRATIONS.resolve().glob("*.sql"))
    assert paths, "no migration files"
    rules = [
        line.split()
        for line in (repository / ".gitattributes").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    for path in paths:
        relative = path.relative_to(repository).as_posix()
        # Later lines win in .gitattributes, as in git.
        attributes: set[str] = set()
        for pattern, *values in rules:
            if fnmatch.fnmatchcase(relative, pattern):
                attributes = set(values)
        assert {"text", "eol=lf"} <= attributes, relative
        assert b"\r\n" not in path.read_bytes(), relative
