"""The suite's own deadline helper must fail when its deadline passes, slow probes included."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.polling import eventually


async def test_a_probe_that_answers_after_the_deadline_fails() -> None:
    async def slow_yes() -> bool:
        await asyncio.sleep(1.0)
        return True

    # It gives up at its deadline rather than accept the slow probe's late answer.
    with pytest.raises(AssertionError, match="still running at the deadline"):
        await eventually(slow_yes, lambda answer: answer, within=0.2)


async def test_a_probe_that_ignores_cancellation_and_answers_late_fails() -> None:
    async def stubborn_yes() -> bool:
        try:
            await asyncio.sleep(0.5)
        except asyncio.CancelledError:
            await asyncio.sleep(0.3)  # finishes anyway, and returns its answer
        return True

    with pytest.raises(AssertionError, match="after the deadline"):
        await eventually(stubborn_yes, lambda answer: answer, within=0.2)


async def test_a_condition_that_never_holds_fails_with_the_last_result() -> None:
    with pytest.raises(AssertionError, match="last result: 7"):
        await eventually(_seven, lambda answer: answer == 8, within=0.2, interval=0.05)


async def test_a_condition_that_holds_returns_the_result() -> None:
    assert await eventually(_seven, lambda answer: answer == 7, within=1) == 7


async def _seven() -> int:
    return 7
