"""What AWS sizes allow: the tables settings are validated against."""

from __future__ import annotations

from collections.abc import Mapping

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
