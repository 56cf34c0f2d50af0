"""Schema migrations: SQL files with an up and a down part, applied by a runner on asyncpg.

Read in this order: ``files`` (what a migration file is), ``statements`` (splitting SQL so a
failure names its statement), ``ledger`` (what the database remembers), ``lock`` (one runner at a
time), ``plan`` (comparing files with the ledger), ``runner`` (up, down, redo, status, verify).
"""

from cloudmetrics.migrations.errors import MigrationError

__all__ = ["MigrationError"]
