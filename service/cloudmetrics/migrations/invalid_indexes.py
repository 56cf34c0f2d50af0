"""INVALID indexes: what a failed `CREATE INDEX CONCURRENTLY` (or REINDEX CONCURRENTLY) leaves.

Such an index is maintained on every write but never used for reads, and `IF NOT EXISTS` skips
it: rerunning the file that failed would then "succeed" without building anything. The runner
asks for them after every `no-transaction` part, before that part's ledger row is written.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from cloudmetrics.migrations.lock import CONNECTION_FAILURES

if TYPE_CHECKING:
    # Type only: importing cloudmetrics.database would load the web stack into every run.
    from cloudmetrics.database import Connection

# Every schema but the catalogs and other sessions' temporary ones; an index that another
# session is still building concurrently is INVALID until it finishes, and shows up here too.
_INVALID_INDEXES = r"""
SELECT format('%I.%I', n.nspname, c.relname) AS name
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT i.indisvalid
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
ORDER BY 1
"""


async def invalid_indexes(connection: Connection) -> list[str]:
    """The schema-qualified names of every INVALID index in the database."""
    return [row["name"] for row in await connection.fetch(_INVALID_INDEXES)]


async def invalid_indexes_after_failure(connection: Connection) -> list[str]:
    """Like invalid_indexes, for an error message: empty when the connection itself is lost."""
    with contextlib.suppress(*CONNECTION_FAILURES):
        return await invalid_indexes(connection)
    return []


def describe(names: list[str]) -> str:
    return f"INVALID index {names[0]}" if len(names) == 1 else f"INVALID indexes {', '.join(names)}"


def drop_advice(names: list[str]) -> str:
    """The statements that remove them without blocking writes."""
    return " ".join(f"`DROP INDEX CONCURRENTLY {name};`" for name in names)
