"""What the app opens at start-up and closes at shutdown, held together for handlers and checks."""

from __future__ import annotations

from dataclasses import dataclass, field

from cloudmetrics.cache import RedisClient
from cloudmetrics.database import Pool
from cloudmetrics.health.probe_connection import ProbeConnection
from cloudmetrics.metrics.series_ids import SeriesIdCache
from cloudmetrics.settings import Settings


@dataclass(frozen=True, slots=True)
class Resources:
    settings: Settings
    pool: Pool
    redis: RedisClient
    # Readiness probes run here, never on the pool (docs/adr/0002).
    probe: ProbeConnection
    # Series ids this process has seen committed (metrics/series_ids.py).
    series_ids: SeriesIdCache = field(default_factory=SeriesIdCache)
