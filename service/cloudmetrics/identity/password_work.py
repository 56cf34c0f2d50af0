"""Password hashing off the event loop, in a small thread pool with a bounded queue.

argon2id is built to cost CPU and memory (tens of milliseconds); run on the event loop it
stalls every request of the process, /health included, for as long as a flood of sign-ins lasts.
argon2-cffi releases the GIL while it hashes, so a thread pool keeps the loop answering. The
pool is small (the machine's cores also serve the loop) and its queue is bounded: past
``threads + queue`` verifications in flight, a sign-in is refused at once with 429
`sign-in-busy` rather than queued behind a flood.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from cloudmetrics.errors import CloudMetricsError
from cloudmetrics.identity.passwords import hash_password, needs_rehash, verify_password

RETRY_AFTER_SECONDS = 1
T = TypeVar("T")


class SignInBusy(CloudMetricsError):
    status_code = 429
    problem = "sign-in-busy"


class PasswordWork:
    """One per process: the threads that verify and hash passwords, and the count in flight."""

    def __init__(self, *, threads: int, queue: int) -> None:
        self._threads = threads
        self._limit = threads + queue
        self._in_flight = 0
        self._executor: ThreadPoolExecutor | None = None

    def _pool(self) -> ThreadPoolExecutor:
        # Made on first use: a process that never signs anyone in starts no threads.
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self._threads, thread_name_prefix="argon2")
        return self._executor

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """verify_password in the pool; SignInBusy if the pool and its queue are full."""
        return await self._run(verify_password, password_hash, password)

    async def rehash_if_needed(self, password_hash: str, password: str) -> str | None:
        """A new hash when the library's parameters moved on since ``password_hash`` was made."""
        if not needs_rehash(password_hash):
            return None
        return await self._run(hash_password, password)

    async def _run(self, work: Callable[..., T], *args: str | None) -> T:
        if self._in_flight >= self._limit:
            raise SignInBusy(
                "too many sign-ins at once; try again in a moment",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        self._in_flight += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool(), work, *args)
        finally:
            self._in_flight -= 1

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
