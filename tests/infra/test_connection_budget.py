"""Every connection the service can open at once fits the database's max_connections."""

from __future__ import annotations

import math

from tests.infra.mock_cloud import Snapshot
from tests.infra.snapshot_views import config_parameter

MIGRATION_CONNECTIONS = 2
RESERVED_CONNECTIONS = 10
# RDS PostgreSQL's default: LEAST(DBInstanceClassMemory / 9531392, 5000).
INSTANCE_MEMORY_GIB = {"db.t4g.medium": 4, "db.t4g.large": 8, "db.r7g.large": 16}


def max_connections(stack: Snapshot) -> int:
    parameters = stack.one("aws:rds/parameterGroup:ParameterGroup").inputs["parameters"]
    (setting,) = [p for p in parameters if p["name"] == "max_connections"]
    return int(setting["value"])


def peak_connections(stack: Snapshot) -> int:
    """Scaled out to the maximum, mid-deployment (old and new tasks both running)."""
    scaling = stack.one("aws:appautoscaling/target:Target").inputs
    service = stack.one("aws:ecs/service:Service").inputs
    tasks = math.ceil(scaling["maxCapacity"] * service["deploymentMaximumPercent"] / 100)
    workers = int(config_parameter(stack, "WEB_CONCURRENCY").inputs["value"])
    pool = int(config_parameter(stack, "DATABASE_POOL_MAX_SIZE").inputs["value"])
    # Per worker: its pool plus the readiness probe's own connection (docs/adr/0002).
    return tasks * workers * (pool + 1) + MIGRATION_CONNECTIONS + RESERVED_CONNECTIONS


def test_peak_connections_fit_max_connections(stack: Snapshot) -> None:
    assert peak_connections(stack) <= max_connections(stack)


def test_max_connections_is_what_the_instance_memory_allows(stack: Snapshot) -> None:
    instance_class = stack.one("aws:rds/instance:Instance").inputs["instanceClass"]
    memory_default = min(INSTANCE_MEMORY_GIB[instance_class] * 1024**3 // 9531392, 5000)
    assert max_connections(stack) <= memory_default


def test_max_connections_needs_a_reboot_to_change(stack: Snapshot) -> None:
    parameters = stack.one("aws:rds/parameterGroup:ParameterGroup").inputs["parameters"]
    (setting,) = [p for p in parameters if p["name"] == "max_connections"]
    assert setting["applyMethod"] == "pending-reboot"
