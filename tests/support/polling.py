"""Waiting for a condition with a deadline: how the tests express "within N seconds"."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T]],
    accept: Callable[[T], bool],
    *,
    within: float,
    interval: float = 0.1,
) -> T:
    """Call ``probe`` until ``accept`` holds for its result; fail with the last result if the
    deadline passes first.

    The deadline holds for the probes too: one slow probe that answers after ``within`` fails,
    so "within two seconds" cannot pass on an answer that took ten. (Cancelling the probe at
    the deadline is not enough: a probe that swallows the cancellation, as a test client's
    request can, still hands wait_for its late result.)
    """
    deadline = time.monotonic() + within
    result: T | None = None
    while True:
        remaining = deadline - time.monotonic()
        try:
            result = await asyncio.wait_for(probe(), max(remaining, 0))
        except TimeoutError:
            raise AssertionError(
                f"condition not met within {within}s: the probe was still running at the "
                f"deadline; last result: {result!r}"
            ) from None
        if time.monotonic() > deadline:
            raise AssertionError(
                f"condition not met within {within}s: the probe answered after the deadline; "
                f"its result: {result!r}"
            )
        if accept(result):
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"condition not met within {within}s; last result: {result!r}")
        await asyncio.sleep(interval)
