"""Behaviour while PostgreSQL or Redis goes away and comes back, against real servers.

A TcpProxy sits between the app and each server, so a test can cut one dependency without
stopping the shared server: "refuse" is a server that is down, "blackhole" a network partition.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from litestar import get
from litestar.testing import AsyncTestClient

from cloudmetrics.app import create_app
from cloudmetrics.database import acquire
from cloudmetrics.resources import AppResources
from cloudmetrics.settings import CacheSettings, DatabaseSettings, LogSettings, Settings
from tests.support.databases import with_database
from tests.support.polling import eventually
from tests.support.proxied_app import ProxiedApp as ProxiedService
from tests.support.proxied_app import proxied_app
from tests.support.settings import make_settings
from tests.support.tcp_proxy import Mode


@pytest.fixture
async def proxied(database_url: str, redis_url: str) -> AsyncIterator[ProxiedService]:
    async with proxied_app(database_url, redis_url, make_settings) as app:
        yield app


async def _ready(service: ProxiedService) -> httpx.Response:
    return await service.client.get("/ready")


def _check(response: httpx.Response, name: str) -> dict[str, Any]:
    (entry,) = response.json()["checks"][name]
    return entry


@pytest.mark.parametrize("mode", ["refuse", "blackhole"])
async def test_database_outage_fails_readiness_but_not_liveness(
    proxied: ProxiedService, mode: Mode
) -> None:
    assert (await _ready(proxied)).status_code == 200

    proxied.postgres.set_mode(mode)

    unready = await eventually(lambda: _ready(proxied), lambda r: r.status_code == 503, within=2)
    assert unready.json()["status"] == "fail"
    assert _check(unready, "postgresql:responseTime")["status"] == "fail"
    assert _check(unready, "postgresql:responseTime")["output"]
    assert _check(unready, "redis:responseTime")["status"] == "pass"
    liveness = await proxied.client.get("/health")
    assert liveness.status_code == 200
    assert liveness.json()["status"] == "pass"


@pytest.mark.parametrize("mode", ["refuse", "blackhole"])
async def test_readiness_recovers_without_restart_when_database_returns(
    proxied: ProxiedService, mode: Mode
) -> None:
    proxied.postgres.set_mode(mode)
    await eventually(lambda: _ready(proxied), lambda r: r.status_code == 503, within=2)

    proxied.postgres.set_mode("forward")

    recovered = await eventually(lambda: _ready(proxied), lambda r: r.status_code == 200, within=5)
    assert _check(recovered, "postgresql:responseTime")["status"] == "pass"


@pytest.mark.parametrize("mode", ["refuse", "blackhole"])
async def test_redis_outage_degrades_readiness_to_warn_and_recovers(
    proxied: ProxiedService, mode: Mode
) -> None:
    proxied.redis.set_mode(mode)

    degraded = await eventually(
        lambda: _ready(proxied), lambda r: r.json()["status"] == "warn", within=2
    )
    # warn keeps the task in the load balancer: the API still answers without its cache.
    assert degraded.status_code == 200
    assert _check(degraded, "redis:responseTime")["status"] == "warn"
    # The public body names what failed, not where: no host or port of our network.
    assert "127.0.0.1" not in degraded.text
    assert _check(degraded, "postgresql:responseTime")["status"] == "pass"
    assert (await proxied.client.get("/health")).status_code == 200

    proxied.redis.set_mode("forward")

    await eventually(lambda: _ready(proxied), lambda r: r.json()["status"] == "pass", within=5)


_background: set[asyncio.Task[None]] = set()
_release = asyncio.Event()


@get("/test/hold-connection")
async def hold_connection(resources: AppResources) -> None:
    """Borrow the pool's only connection in the background until /test/release is called,
    as a slow request would."""
    acquired = asyncio.Event()
    _release.clear()

    async def hold() -> None:
        async with acquire(resources.pool, timeout=5):
            acquired.set()
            await _release.wait()

    task = asyncio.create_task(hold())
    _background.add(task)
    task.add_done_callback(_background.discard)
    await acquired.wait()


@get("/test/release")
async def release_connection() -> None:
    _release.set()


async def test_a_pool_busy_with_traffic_leaves_readiness_passing(
    database_url: str, redis_url: str
) -> None:
    """Every pooled connection borrowed (a slow request holds the only one): the task is busy,
    not unready. Probes, 32 at once as benchmarks/health.py sends them, must still pass."""
    settings = make_settings(
        database_url, redis_url, database={"pool_max_size": 1, "acquire_timeout": 0.3}
    )
    app = create_app(settings, extra_route_handlers=[hold_connection, release_connection])
    async with AsyncTestClient(app) as client:
        assert (await client.get("/test/hold-connection")).status_code == 200
        try:
            probes = await asyncio.gather(*(client.get("/ready") for _ in range(32)))
        finally:
            await client.get("/test/release")

    assert [probe.status_code for probe in probes] == [200] * 32
    assert {_check(probe, "postgresql:responseTime")["status"] for probe in probes} == {"pass"}
    assert {_check(probe, "postgresql:schema")["status"] for probe in probes} == {"pass"}


async def test_service_starts_and_reports_a_missing_database(
    postgres_admin_url: str, redis_url: str
) -> None:
    missing = with_database(postgres_admin_url, "cm_test_does_not_exist")
    async with AsyncTestClient(create_app(make_settings(missing, redis_url))) as client:
        liveness = await client.get("/health")
        readiness = await client.get("/ready")

    assert liveness.status_code == 200
    assert readiness.status_code == 503
    entry = _check(readiness, "postgresql:responseTime")
    assert entry["status"] == "fail"
    assert "InvalidCatalogNameError" in entry["output"]


async def test_partition_with_production_timeouts_fails_readiness_within_two_seconds(
    database_url: str, redis_url: str
) -> None:
    """The same promise with the shipped defaults, not the suite's short test timeouts."""

    def shipped_defaults(database_url: str, redis_url: str) -> Settings:
        return Settings(
            database=DatabaseSettings(url=database_url),
            cache=CacheSettings(url=redis_url),
            log=LogSettings(level="WARNING"),
        )

    async with proxied_app(database_url, redis_url, shipped_defaults) as app:
        assert (await app.client.get("/ready")).status_code == 200
        app.postgres.set_mode("blackhole")

        unready = await eventually(
            lambda: app.client.get("/ready"), lambda r: r.status_code == 503, within=2
        )
        app.postgres.set_mode("forward")
        await eventually(lambda: app.client.get("/ready"), lambda r: r.status_code == 200, within=5)

    assert _check(unready, "postgresql:responseTime")["status"] == "fail"
