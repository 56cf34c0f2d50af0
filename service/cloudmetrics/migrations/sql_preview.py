"""What a dry run prints: the SQL that would run, in order, each file under a header."""

from __future__ import annotations

from cloudmetrics.migrations.files import Migration


def preview(migrations: list[Migration], direction: str) -> str:
    if not migrations:
        return f"-- dry run: no migration to run {direction}"
    blocks: list[str] = []
    for migration in migrations:
        part = migration.up if direction == "up" else migration.down
        wrapping = "in a transaction" if migration.transactional else "without a transaction"
        header = f"-- dry run: {migration.label} ({direction}, {wrapping})"
        blocks.append(f"{header}\n{part.sql.strip()}\n")
    return "\n".join(blocks)
