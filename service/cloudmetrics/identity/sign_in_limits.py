"""Failed sign-ins counted in Redis per (account, client address) and per client address.

A stranger's failures must never lock the owner out (docs/adr/0052): they are counted against
the stranger's own address and the (account, that address) pair, never against the account
alone. The pair's budget is small (SIGN_IN_ATTEMPTS_PER_ACCOUNT), the address's larger
(SIGN_IN_ATTEMPTS_PER_ADDRESS, it spans every account tried from there); both run over a
15-minute window from the first failure. Before a budget is spent, failures past the first few
also hold that pair or address back for a growing delay (1 s, 2 s, 4 s ... capped), so guessing
is slow from the start. A successful sign-in counts nothing and clears its pair.

Counting fails closed like the sessions themselves: with Redis away nobody can sign in anyway.
Checks and counts are separate steps, so a client that fires attempts in parallel can make a
few more than its budget before the failures land; the hashing pool's bound
(password_work.py) caps how many can be in flight at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cloudmetrics.errors import CloudMetricsError
from cloudmetrics.identity.session_store import UNAVAILABLE, SessionStoreUnavailable
from cloudmetrics.redis_client import (
    REDIS_FAILURES,
    delete_keys,
    get_bytes,
    increment,
    seconds_to_live,
    set_bytes,
)
from cloudmetrics.resources import Resources

WINDOW_SECONDS = 15 * 60
# Failures that cost no delay: typos happen. Past them, each failure doubles the hold.
FREE_PAIR_FAILURES = 3
FREE_ADDRESS_FAILURES = 10
MAX_DELAY_SECONDS = 5 * 60


class TooManyAttempts(CloudMetricsError):
    status_code = 429
    problem = "too-many-sign-in-attempts"


@dataclass(frozen=True, slots=True)
class _Counter:
    key: str
    budget: int
    free: int

    @property
    def hold_key(self) -> str:
        return f"{self.key}:hold"


def _counters(resources: Resources, email: str, address: str) -> tuple[_Counter, _Counter]:
    identity = resources.settings.identity
    prefix = f"{resources.settings.cache.key_prefix}sign-in:"
    # Emails are personal data: the key holds a digest, not the address itself.
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    pair = _Counter(
        f"{prefix}pair:{account}:{address}",
        identity.sign_in_attempts_per_account,
        FREE_PAIR_FAILURES,
    )
    by_address = _Counter(
        f"{prefix}address:{address}", identity.sign_in_attempts_per_address, FREE_ADDRESS_FAILURES
    )
    return pair, by_address


def _refused(retry_after: int) -> TooManyAttempts:
    return TooManyAttempts(
        "too many sign-in attempts; wait a few minutes and try again",
        headers={"Retry-After": str(max(retry_after, 1))},
    )


async def check_allowed(resources: Resources, *, email: str, address: str) -> None:
    """Raise TooManyAttempts while this pair or address is held back or out of budget."""
    try:
        for counter in _counters(resources, email, address):
            held = await seconds_to_live(resources.redis, counter.hold_key)
            if held > 0:
                raise _refused(held)
            count = int(await get_bytes(resources.redis, counter.key) or 0)
            if count >= counter.budget:
                raise _refused(await seconds_to_live(resources.redis, counter.key))
    except REDIS_FAILURES:
        raise SessionStoreUnavailable(UNAVAILABLE) from None


async def record_failure(resources: Resources, *, email: str, address: str) -> None:
    try:
        for counter in _counters(resources, email, address):
            count = await increment(resources.redis, counter.key, window_seconds=WINDOW_SECONDS)
            if count > counter.free:
                delay = min(2 ** (count - counter.free - 1), MAX_DELAY_SECONDS)
                await set_bytes(resources.redis, counter.hold_key, b"1", ttl_seconds=delay)
    except REDIS_FAILURES:
        raise SessionStoreUnavailable(UNAVAILABLE) from None


async def record_success(resources: Resources, *, email: str, address: str) -> None:
    """The owner is back: their pair starts afresh (the address's count stays)."""
    pair, _ = _counters(resources, email, address)
    try:
        await delete_keys(resources.redis, pair.key, pair.hold_key)
    except REDIS_FAILURES:
        raise SessionStoreUnavailable(UNAVAILABLE) from None
