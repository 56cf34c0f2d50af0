"""Comparing the migration files with the ledger: what is applied, pending, drifted or unknown."""

from __future__ import annotations

from dataclasses import dataclass, field

from cloudmetrics.migrations.errors import LedgerMismatch
from cloudmetrics.migrations.files import Migration
from cloudmetrics.migrations.ledger import AppliedMigration

REPAIR_HINT = "see docs/migrations.md, 'Repairing'"


@dataclass(frozen=True, slots=True)
class Drift:
    migration: Migration
    applied: AppliedMigration


@dataclass(frozen=True, slots=True)
class SchemaState:
    migrations: list[Migration]
    # None when the ledger table does not exist (a database never migrated).
    ledger: list[AppliedMigration] | None
    applied: list[Migration] = field(default_factory=list[Migration])
    pending: list[Migration] = field(default_factory=list[Migration])
    drifted: list[Drift] = field(default_factory=list[Drift])
    # Applied ids with no file: the database is ahead of this code (or a file was deleted).
    unknown: list[AppliedMigration] = field(default_factory=list[AppliedMigration])

    @property
    def is_consistent(self) -> bool:
        return not self.drifted and not self.unknown

    @property
    def is_strictly_ahead(self) -> bool:
        """Every migration of this code is applied, and the database has only *later* ones too.

        What a rollback to the previous release sees after an expand migration. Unknown ids
        sorting before this code's newest migration mean something else: a deleted or renamed
        file, or branches that diverged.
        """
        if not self.unknown or self.pending:
            return False
        newest_known = max((migration.id for migration in self.migrations), default="")
        return all(row.id > newest_known for row in self.unknown)

    @property
    def head(self) -> str | None:
        """The id of the last applied migration, or None on an empty ledger."""
        return self.ledger[-1].id if self.ledger else None


def compare(migrations: list[Migration], ledger: list[AppliedMigration] | None) -> SchemaState:
    by_id = {migration.id: migration for migration in migrations}
    recorded = {row.id: row for row in ledger or []}
    state = SchemaState(migrations=migrations, ledger=ledger)
    for migration in migrations:
        row = recorded.get(migration.id)
        if row is None:
            state.pending.append(migration)
        elif row.checksum != migration.checksum:
            state.drifted.append(Drift(migration, row))
        else:
            state.applied.append(migration)
    state.unknown.extend(row for row in ledger or [] if row.id not in by_id)
    return state


def refuse_mismatch(state: SchemaState, *, allow_ahead: bool = False) -> None:
    """Stop before changing anything when the ledger and the files disagree.

    ``allow_ahead`` accepts a database that is strictly ahead of the code (see
    SchemaState.is_strictly_ahead): a rollback deploy of the previous release.
    """
    if state.drifted:
        names = ", ".join(drift.migration.label for drift in state.drifted)
        raise LedgerMismatch(
            f"applied migration files were edited after being applied: {names} "
            f"(checksums differ from the ledger); restore the files or repair the ledger "
            f"({REPAIR_HINT})"
        )
    if state.unknown and not (allow_ahead and state.is_strictly_ahead):
        ids = ", ".join(row.id for row in state.unknown)
        if state.is_strictly_ahead:
            advice = (
                "deploy the code that has them; or, for a rollback to older code that works on "
                "the newer schema (expand/contract), pass --allow-ahead"
            )
        else:
            advice = "they sort among this code's migrations: were files deleted or renamed?"
        raise LedgerMismatch(
            f"the database has applied migrations this code does not know: {ids}; "
            f"{advice} ({REPAIR_HINT})"
        )
    newest_applied = max((row.id for row in state.ledger or []), default=None)
    if newest_applied is not None:
        late = [migration.label for migration in state.pending if migration.id < newest_applied]
        if late:
            raise LedgerMismatch(
                f"pending migrations sort before the newest applied one ({newest_applied}): "
                f"{', '.join(late)}; renumber them after {newest_applied}"
            )
