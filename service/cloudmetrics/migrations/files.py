"""Migration files: discovery, parsing and checksums.

A migration is one file, ``NNNN_snake_case_name.sql``, read top to bottom in review::

    -- Why this change exists (comments above the first marker are free text).
    -- migrate:no-transaction        (optional: for CREATE INDEX CONCURRENTLY and friends)
    -- migrate:up
    CREATE TABLE ...;
    -- migrate:down
    DROP TABLE ...;

The checksum is the SHA-256 of the file's bytes, so any edit (even a comment) is drift: what was
applied is no longer what the file says, and only a person can decide which one is right.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from cloudmetrics.migrations.errors import InvalidTarget, MigrationFileError
from cloudmetrics.migrations.statements import split_statements

FILE_NAME = re.compile(r"^(?P<id>\d{4})_(?P<name>[a-z0-9][a-z0-9_]*)\.sql$")
UP_MARKER = "-- migrate:up"
DOWN_MARKER = "-- migrate:down"
NO_TRANSACTION_MARKER = "-- migrate:no-transaction"
_MARKERS = (UP_MARKER, DOWN_MARKER, NO_TRANSACTION_MARKER)
_TRANSACTION_CONTROL = frozenset({"begin", "start", "commit", "end", "rollback", "abort"})


@dataclass(frozen=True, slots=True)
class Part:
    """The up or the down SQL of a file, with the file line its text starts on (1-based)."""

    sql: str
    first_line: int

    @property
    def is_empty(self) -> bool:
        return not any(
            line.strip() and not line.strip().startswith("--") for line in self.sql.splitlines()
        )


@dataclass(frozen=True, slots=True)
class Migration:
    id: str
    name: str
    path: Path
    checksum: str
    up: Part
    down: Part
    # False for files marked `-- migrate:no-transaction`: their statements run one by one.
    transactional: bool

    @property
    def label(self) -> str:
        """How messages name the migration: its file name."""
        return self.path.name


def load_migrations(directory: str | Path) -> list[Migration]:
    """Every migration in ``directory``, ordered by id. Raises MigrationFileError on any doubt."""
    folder = Path(directory)
    if not folder.is_dir():
        raise MigrationFileError(f"migrations directory {folder} does not exist")
    migrations: list[Migration] = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.suffix != ".sql":
            continue
        match = FILE_NAME.match(path.name)
        if match is None:
            raise MigrationFileError(
                f"{path.name}: migration files are named NNNN_snake_case_name.sql"
            )
        migration_id = match["id"]
        if migration_id in seen:
            raise MigrationFileError(
                f"{path.name} and {seen[migration_id].name} share the id {migration_id}; "
                "renumber one of them"
            )
        seen[migration_id] = path
        migrations.append(parse_migration(path, migration_id, match["name"]))
    return migrations


def parse_migration(path: Path, migration_id: str, name: str) -> Migration:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MigrationFileError(f"{path.name}: not UTF-8 ({error.reason})") from None
    lines = text.splitlines(keepends=True)
    positions: dict[str, int] = {}
    for index, line in enumerate(lines):
        marker = line.strip().lower()
        if marker in _MARKERS:
            if marker in positions:
                raise MigrationFileError(f"{path.name}: `{marker}` appears twice")
            positions[marker] = index
    if UP_MARKER not in positions or DOWN_MARKER not in positions:
        raise MigrationFileError(
            f"{path.name}: needs a `{UP_MARKER}` line and a `{DOWN_MARKER}` line after it"
        )
    up_at, down_at = positions[UP_MARKER], positions[DOWN_MARKER]
    if down_at < up_at:
        raise MigrationFileError(f"{path.name}: `{DOWN_MARKER}` must come after `{UP_MARKER}`")
    no_transaction_at = positions.get(NO_TRANSACTION_MARKER)
    if no_transaction_at is not None and no_transaction_at > up_at:
        raise MigrationFileError(
            f"{path.name}: `{NO_TRANSACTION_MARKER}` belongs above `{UP_MARKER}`"
        )
    for number, line in enumerate(lines[:up_at], start=1):
        if line.strip() and not line.strip().startswith("--"):
            raise MigrationFileError(
                f"{path.name} line {number}: only comments may come before `{UP_MARKER}`"
            )
    up = Part("".join(lines[up_at + 1 : down_at]), first_line=up_at + 2)
    down = Part("".join(lines[down_at + 1 :]), first_line=down_at + 2)
    # An empty up part (a fresh `migrate new` scaffold) is a valid file: status, down and new
    # must keep working while someone writes it. Only applying it is refused (runner.py).
    for part in (up, down):
        _refuse_transaction_control(path, part)
    return Migration(
        id=migration_id,
        name=name,
        path=path,
        checksum=hashlib.sha256(raw).hexdigest(),
        up=up,
        down=down,
        transactional=no_transaction_at is None,
    )


def _refuse_transaction_control(path: Path, part: Part) -> None:
    """A COMMIT inside a migration would commit half of it, ledger row not included."""
    for statement in split_statements(part.sql):
        first_word = statement.sql.split(None, 1)[0].rstrip(";").lower()
        if first_word in _TRANSACTION_CONTROL:
            line = part.first_line + statement.line - 1
            raise MigrationFileError(
                f"{path.name} line {line}: `{first_word.upper()}` is the runner's job; "
                f"for statements that cannot run in a transaction use `{NO_TRANSACTION_MARKER}`"
            )


def normalize_id(text: str) -> str:
    """`7`, `0007` and `0007_add_units.sql` all name migration 0007."""
    head = text.strip().removesuffix(".sql").split("_", 1)[0]
    if not head.isdigit() or len(head) > 4:
        raise InvalidTarget(f"{text!r} is not a migration id (expected e.g. 0007)")
    return head.zfill(4)
