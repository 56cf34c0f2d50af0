"""What the app opens at start-up and closes at shutdown, held together for handlers and checks."""

from __future__ import annotations

from dataclasses import dataclass

from cloudmetrics.cache import RedisClient
from cloudmetrics.database import Pool
from cloudmetrics.health.probe_connection import ProbeConnection
from cloudmetrics.settings import Settings


@dataclass(frozen=True, slots=True)
class Resources:
    settings: Settings
    pool: Pool
    redis: RedisClient
    # Readiness probes run here, never on the pool (docs/adr/0002).
    probe: ProbeConnection
