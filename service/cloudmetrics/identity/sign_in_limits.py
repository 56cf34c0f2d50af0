"""Sign-in attempts counted in Redis per account and per client address, over a fixed window.

Counting fails closed like the sessions themselves: with Redis away nobody can sign in anyway.
"""

from __future__ import annotations

import hashlib

from cloudmetrics.errors import CloudMetricsError
from cloudmetrics.identity.session_store import UNAVAILABLE, SessionStoreUnavailable
from cloudmetrics.redis_client import REDIS_FAILURES, increment
from cloudmetrics.resources import Resources

WINDOW_SECONDS = 15 * 60


class TooManyAttempts(CloudMetricsError):
    status_code = 429
    problem = "too-many-sign-in-attempts"


async def count_attempt(resources: Resources, *, email: str, address: str) -> None:
    """Count one attempt; raise TooManyAttempts once either budget is spent."""
    identity = resources.settings.identity
    prefix = f"{resources.settings.cache.key_prefix}sign-in:"
    # Emails are personal data: the key holds a digest, not the address itself.
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    budgets = {
        f"{prefix}account:{account}": identity.sign_in_attempts_per_account,
        f"{prefix}address:{address}": identity.sign_in_attempts_per_address,
    }
    try:
        for key, budget in budgets.items():
            count = await increment(resources.redis, key, window_seconds=WINDOW_SECONDS)
            if count > budget:
                raise TooManyAttempts(
                    "too many sign-in attempts; wait a few minutes and try again",
                    headers={"Retry-After": str(WINDOW_SECONDS)},
                )
    except REDIS_FAILURES:
        raise SessionStoreUnavailable(UNAVAILABLE) from None
