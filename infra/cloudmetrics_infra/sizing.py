"""What AWS sizes allow, and what the estate needs of them: the tables settings are validated
against, and the database connection budget (docs/adr/0032)."""

from __future__ import annotations

import math
from collections.abc import Mapping

# ECS may run twice the desired tasks while a deployment rolls (deployment_maximum_percent).
DEPLOYMENT_MAXIMUM_PERCENT = 200
# The migration runner works on one dedicated connection; two leave room for an operator's
# `cloudmetrics migrate status` while a migration runs (the roles step before it, one).
MIGRATION_CONNECTIONS = 2
# superuser_reserved_connections (3) plus RDS's own and an operator's psql sessions.
RESERVED_CONNECTIONS = 10

# Memory per allowed instance class: RDS's default max_connections is
# LEAST(DBInstanceClassMemory / 9531392, 5000); we never configure more than that allows.
# (DBInstanceClassMemory is a little below the nominal size; the stacks stay far below it.)
DATABASE_INSTANCE_MEMORY_GIB: Mapping[str, int] = {
    "db.t4g.medium": 4,
    "db.t4g.large": 8,
    "db.m7g.large": 8,
    "db.m7g.xlarge": 16,
    "db.r7g.large": 16,
    "db.r7g.xlarge": 32,
}
# Fargate's valid task sizes: CPU units -> allowed memory (MiB) range.
FARGATE_MEMORY_MIB: Mapping[int, tuple[int, int]] = {
    256: (512, 2048),
    512: (1024, 4096),
    1024: (2048, 8192),
    2048: (4096, 16384),
    4096: (8192, 30720),
}


def default_max_connections(instance_class: str) -> int:
    """RDS PostgreSQL's memory-derived default for max_connections on this class."""
    memory_bytes = DATABASE_INSTANCE_MEMORY_GIB[instance_class] * 1024**3
    return min(memory_bytes // 9531392, 5000)


def connections_per_task(web_concurrency: int, pool_max_size: int) -> int:
    """Each worker has its pool and one connection of readiness's own (docs/adr/0002)."""
    return web_concurrency * (pool_max_size + 1)


def peak_tasks(max_tasks: int) -> int:
    """Most tasks that can hold connections at once: scaled out and mid-deployment."""
    return math.ceil(max_tasks * DEPLOYMENT_MAXIMUM_PERCENT / 100)


def peak_database_connections(tasks: int, per_task: int) -> int:
    return tasks * per_task + MIGRATION_CONNECTIONS + RESERVED_CONNECTIONS
