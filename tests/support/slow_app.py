"""The service plus one deliberately slow route, for the graceful-shutdown test."""

from __future__ import annotations

import asyncio

from litestar import Litestar, get
from litestar.params import FromQuery

from cloudmetrics.app import create_app
from cloudmetrics.settings import Settings

_in_flight = 0


@get("/test/slow")
async def slow(seconds: FromQuery[float]) -> dict[str, float]:
    global _in_flight
    _in_flight += 1
    try:
        await asyncio.sleep(seconds)
    finally:
        _in_flight -= 1
    return {"slept": seconds}


@get("/test/in-flight")
async def in_flight() -> dict[str, int]:
    return {"in_flight": _in_flight}


def app_with_slow_route() -> Litestar:
    return create_app(Settings.from_environ(), extra_route_handlers=[slow, in_flight])


if __name__ == "__main__":
    from cloudmetrics.server import run

    run(Settings.from_environ(), app_factory="tests.support.slow_app:app_with_slow_route")
