"""Finding the PostgreSQL and Redis the suite needs, with advice when one is missing."""

from __future__ import annotations

import asyncio

from cloudmetrics.startup_waits import DependencyMissing, wait_for_postgresql, wait_for_redis


def missing_services(postgres_url: str, redis_url: str) -> list[str]:
    """One message per unreachable service (empty when both answer)."""

    async def check() -> list[str]:
        problems: list[str] = []
        for wait, url in ((wait_for_postgresql, postgres_url), (wait_for_redis, redis_url)):
            try:
                await wait(url, timeout=3)
            except DependencyMissing as error:
                problems.append(str(error))
        return problems

    return asyncio.run(check())
