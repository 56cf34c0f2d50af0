"""The errors the runner raises on purpose; each message is one line a person can act on."""

from __future__ import annotations


class MigrationError(Exception):
    """Base of every refusal or failure the runner reports (the CLI prints the message)."""


class MigrationFileError(MigrationError):
    """A migration file is missing, misnamed or malformed."""


class LedgerMismatch(MigrationError):
    """The ledger disagrees with the files: an applied file changed, or an id has no file."""


class MigrationLockTimeout(MigrationError):
    """Another runner held the migration lock for longer than we were willing to wait."""


class MigrationFailed(MigrationError):
    """A statement of a migration failed; its transaction was rolled back."""


class InvalidTarget(MigrationError):
    """``--to`` or ``--steps`` asks for something the files and the ledger cannot give."""
