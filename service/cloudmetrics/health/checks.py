"""Readiness checks: each dependency probed concurrently, each within its own time budget.

A check's probe raises when its dependency is unusable, or returns an Outcome to report a
status of its own (the schema check says "warn" when the database is ahead of the code).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from cloudmetrics import redis_client
from cloudmetrics.errors import CloudMetricsError
from cloudmetrics.health.report import CheckEntry, Status
from cloudmetrics.migrations.head import code_migrations, judge
from cloudmetrics.migrations.ledger import read_ledger
from cloudmetrics.resources import Resources

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome:
    status: Status = "pass"
    output: str | None = None


Probe = Callable[[Resources], Awaitable[Outcome | None]]


@dataclass(frozen=True, slots=True)
class ReadinessCheck:
    # "component:measurement", as the IETF format names its checks.
    name: str
    component_type: str
    probe: Probe
    # The status a failing probe reports: "fail" takes the task out of the load balancer,
    # "warn" keeps it serving in a degraded mode.
    on_failure: Status = "fail"


async def probe_postgresql(resources: Resources) -> Outcome | None:
    # On readiness's own connection, never the pool's: a pool busy with traffic is not an
    # unready task (probe_connection.py).
    await resources.probe.run(lambda connection: connection.fetchval("SELECT 1"))
    return None


async def probe_schema(resources: Resources) -> Outcome | None:
    """The database is at the code's migration head (docs/migrations.md)."""
    # Read once per process and cached: a probe costs one ledger query, no disk access.
    code = code_migrations(resources.settings.migrations_dir)
    ledger = await resources.probe.run(read_ledger)
    verdict = judge(code, ledger)
    return Outcome(verdict.status, verdict.output)


async def probe_redis(resources: Resources) -> Outcome | None:
    await redis_client.ping(resources.redis)
    return None


POSTGRESQL = ReadinessCheck("postgresql:responseTime", "datastore", probe_postgresql)
# Behind the code = fail (it would serve queries against missing tables); ahead = warn, because
# old tasks keep serving on the expanded schema during a rolling deploy.
SCHEMA = ReadinessCheck("postgresql:schema", "datastore", probe_schema)
# Redis holds only a cache and rate-limit counters; without it the API still answers, slower
# (docs/adr/0002). So an outage degrades readiness to "warn" and keeps the task in service.
REDIS = ReadinessCheck("redis:responseTime", "datastore", probe_redis, on_failure="warn")


def default_checks() -> list[ReadinessCheck]:
    return [POSTGRESQL, SCHEMA, REDIS]


async def run_check(check: ReadinessCheck, resources: Resources) -> CheckEntry:
    started = time.perf_counter()
    timeout = resources.settings.health.check_timeout
    try:
        outcome = await asyncio.wait_for(check.probe(resources), timeout) or Outcome()
    except TimeoutError:
        outcome = Outcome(check.on_failure, f"no answer within {timeout:g}s")
    except Exception as error:  # any failure of a probe is a failed check
        outcome = Outcome(check.on_failure, _public_reason(error))
        # The driver's own message (hosts, ports, roles) goes to the log, not to the public
        # readiness body that the load balancer and anyone on the internet can read.
        log.warning("readiness_check_failed", check=check.name, error=str(error))
    return CheckEntry(
        status=outcome.status,
        component_type=check.component_type,
        observed_value=round((time.perf_counter() - started) * 1000, 3),
        observed_unit="ms",
        time=datetime.now(UTC).isoformat(timespec="milliseconds"),
        output=outcome.output,
    )


def _public_reason(error: Exception) -> str:
    if isinstance(error, CloudMetricsError):
        return error.detail  # our own wording, written for clients
    return type(error).__name__


async def run_checks(
    checks: Sequence[ReadinessCheck], resources: Resources
) -> dict[str, list[CheckEntry]]:
    entries = await asyncio.gather(*(run_check(check, resources) for check in checks))
    return {check.name: [entry] for check, entry in zip(checks, entries, strict=True)}
