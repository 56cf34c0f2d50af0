"""An app whose PostgreSQL and Redis sit behind TcpProxies the test controls."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudmetrics.app import create_app
from cloudmetrics.settings import Settings
from tests.support.addresses import host_port, netloc
from tests.support.tcp_proxy import TcpProxy


@dataclass
class ProxiedApp:
    client: AsyncTestClient[Litestar]
    postgres: TcpProxy
    redis: TcpProxy


@asynccontextmanager
async def proxied_app(
    database_url: str, redis_url: str, settings: Callable[[str, str], Settings]
) -> AsyncGenerator[ProxiedApp]:
    """``settings(database_url, redis_url)`` receives the proxied URLs."""
    with (
        TcpProxy(*host_port(database_url)) as postgres,
        TcpProxy(*host_port(redis_url)) as redis,
    ):
        proxied = settings(
            postgres.url_for(database_url, netloc(database_url)),
            redis.url_for(redis_url, netloc(redis_url)),
        )
        async with AsyncTestClient(create_app(proxied)) as client:
            try:
                yield ProxiedApp(client, postgres, redis)
            finally:
                # A test may end mid-partition; closing the pool over frozen connections would
                # wait out the shutdown's timeout. Gone servers reset them at once.
                postgres.set_mode("refuse")
                redis.set_mode("refuse")
