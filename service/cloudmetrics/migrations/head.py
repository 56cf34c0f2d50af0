"""Is the database at the running code's migration head? The question `/ready` asks.

The files are read once per migrations folder and kept (they cannot change under a running
release), so a probe costs one small ledger query and no disk access.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Literal

from cloudmetrics.migrations.files import load_migrations
from cloudmetrics.migrations.ledger import AppliedMigration

Verdict = Literal["pass", "warn", "fail"]

_LISTED = 5


@dataclass(frozen=True, slots=True)
class SchemaVerdict:
    status: Verdict
    output: str | None = None


@lru_cache(maxsize=8)
def code_migrations(migrations_dir: str) -> MappingProxyType[str, str]:
    """id -> checksum of every migration the running code ships (raises if unreadable)."""
    return MappingProxyType(
        {migration.id: migration.checksum for migration in load_migrations(migrations_dir)}
    )


def judge(code: MappingProxyType[str, str], ledger: list[AppliedMigration] | None) -> SchemaVerdict:
    """pass: at head. fail: never migrated, or behind the code. warn: ahead of it, or drifted.

    Ahead is only a warning: during a rolling deploy the old tasks keep serving on the expanded
    schema (docs/migrations.md, "Expand and contract"), and taking them out of the load
    balancer would turn a deploy into an outage.
    """
    if ledger is None:
        return SchemaVerdict(
            "fail", "no migration ledger: the database was never migrated (cloudmetrics migrate up)"
        )
    applied = {row.id: row.checksum for row in ledger}
    pending = sorted(set(code) - set(applied))
    if pending:
        return SchemaVerdict(
            "fail",
            f"{len(pending)} pending migration(s): {_list(pending)} (cloudmetrics migrate up)",
        )
    unknown = sorted(set(applied) - set(code))
    if unknown:
        return SchemaVerdict(
            "warn", f"database is ahead of this code: applied {_list(unknown)} unknown here"
        )
    drifted = sorted(key for key, checksum in code.items() if applied[key] != checksum)
    if drifted:
        return SchemaVerdict(
            "warn", f"applied migration(s) differ from their files: {_list(drifted)}"
        )
    return SchemaVerdict("pass")


def _list(ids: list[str]) -> str:
    shown = ", ".join(ids[:_LISTED])
    return shown if len(ids) <= _LISTED else f"{shown} and {len(ids) - _LISTED} more"
