"""Settings for an app under test: real servers, short timeouts, everything explicit."""

from __future__ import annotations

from typing import Any

import msgspec

from cloudmetrics.settings import (
    CacheSettings,
    DatabaseSettings,
    HealthSettings,
    LogSettings,
    Settings,
)

QUICK_HEALTH_CHECKS = HealthSettings(check_timeout=0.5)
QUIET_LOGS = LogSettings(level="WARNING")


def make_settings(
    database_url: str,
    redis_url: str,
    *,
    database: dict[str, Any] | None = None,
    cache: dict[str, Any] | None = None,
    **fields: Any,
) -> Settings:
    database_settings = DatabaseSettings(url=database_url, acquire_timeout=0.5, connect_timeout=1.0)
    cache_settings = CacheSettings(url=redis_url, socket_timeout=0.3)
    settings = Settings(
        database=msgspec.structs.replace(database_settings, **(database or {})),
        cache=msgspec.structs.replace(cache_settings, **(cache or {})),
        health=HealthSettings(check_timeout=0.5),
        log=LogSettings(level="WARNING"),
    )
    # Any other field (release_id, migrations_dir, health, log, ...) as the test asks.
    return msgspec.structs.replace(settings, **fields)
