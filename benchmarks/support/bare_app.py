"""The baseline for benchmarks/health.py: a bare Litestar app returning a constant JSON."""

from __future__ import annotations

from litestar import Litestar, get


@get("/health")
async def constant() -> dict[str, str]:
    return {"status": "pass"}


def create() -> Litestar:
    return Litestar(route_handlers=[constant], logging_config=None)
