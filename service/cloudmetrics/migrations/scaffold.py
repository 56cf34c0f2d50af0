"""`cloudmetrics migrate new NAME`: the next numbered file, with the markers and the house rules."""

from __future__ import annotations

import re
from pathlib import Path

from cloudmetrics.migrations.errors import MigrationFileError
from cloudmetrics.migrations.files import DOWN_MARKER, UP_MARKER, load_migrations

_NAME = re.compile(r"^[a-z0-9][a-z0-9_]*$")

TEMPLATE = f"""\
-- {{title}}: what changes and why.
--
-- Zero downtime (docs/migrations.md, "Expand and contract"): the code deployed before this
-- migration keeps running against the schema after it, and the new code must still start
-- against the schema before it. For CREATE INDEX CONCURRENTLY, add `-- migrate:no-transaction`
-- above the up marker and make every statement safe to rerun (IF NOT EXISTS). A failed
-- concurrent build leaves an INVALID index that IF NOT EXISTS would skip: drop it with
-- DROP INDEX CONCURRENTLY before rerunning (the runner refuses to record the file until then).
{UP_MARKER}


{DOWN_MARKER}

"""


def slug(name: str) -> str:
    """`Add units to metrics` -> `add_units_to_metrics`."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def create_migration(migrations_dir: str | Path, name: str) -> Path:
    """Write ``NNNN_name.sql`` with the next free id and return its path.

    The up part starts empty on purpose: the runner refuses an empty up part, so a scaffold
    that was never filled in cannot be applied (or deployed) by accident.
    """
    folder = Path(migrations_dir)
    name_slug = slug(name)
    if not _NAME.match(name_slug):
        raise MigrationFileError(f"{name!r} gives no usable file name; use words like add_units")
    folder.mkdir(parents=True, exist_ok=True)
    existing = load_migrations(folder)
    next_id = int(existing[-1].id) + 1 if existing else 1
    if next_id > 9999:
        raise MigrationFileError("migration ids are four digits and 9999 is taken")
    path = folder / f"{next_id:04d}_{name_slug}.sql"
    title = name_slug.replace("_", " ").capitalize()
    with path.open("x", encoding="utf-8") as file:
        file.write(TEMPLATE.format(title=title))
    return path
