"""What the app opens at start-up and closes at shutdown, held together for handlers and checks.

Handlers ask for it with a parameter `resources: AppResources` (the app provides the dependency
`resources`); code that holds the app rather than a handler's parameters uses `resources_of`.
Either way one place reads it from the app's state, and there is one way to borrow a database
connection: `resources.connection()`.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import cast

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import SkipValidation

from cloudmetrics.database import Connection, Pool, acquire
from cloudmetrics.health.probe_connection import ProbeConnection
from cloudmetrics.identity.password_work import PasswordWork
from cloudmetrics.metrics.budgets import BudgetCache
from cloudmetrics.metrics.series_ids import SeriesIdCache
from cloudmetrics.redis_client import RedisClient
from cloudmetrics.settings import Settings

STATE_KEY = "resources"


@dataclass(frozen=True, slots=True)
class Resources:
    settings: Settings
    pool: Pool
    redis: RedisClient
    # Readiness probes run here, never on the pool (docs/adr/0002).
    probe: ProbeConnection
    # The threads that check passwords off the event loop (identity/password_work.py).
    password_work: PasswordWork
    # Series ids this process has seen committed (metrics/series_ids.py).
    series_ids: SeriesIdCache = field(default_factory=SeriesIdCache)
    # Each project's budgets, for a few seconds (metrics/budgets.py).
    budgets: BudgetCache = field(default_factory=BudgetCache)

    def connection(self) -> AbstractAsyncContextManager[Connection]:
        """Borrow a pooled connection for ``async with``, waiting at most
        DATABASE_ACQUIRE_TIMEOUT for one: past it, or with the database down, a 503."""
        return acquire(self.pool, self.settings.database.acquire_timeout)


def resources_of(app: Litestar) -> Resources:
    """The app's resources; only valid once its lifespan has opened them."""
    return cast("Resources", app.state[STATE_KEY])


def _from_state(state: State) -> Resources:
    return cast("Resources", state[STATE_KEY])


# Registered on the app as the dependency `resources`.
provide_resources = Provide(_from_state, sync_to_thread=False)

# How a handler declares it: `resources: AppResources`. Not validated: Litestar would otherwise
# try to convert the pool and the Redis client field by field on every request.
AppResources = NamedDependency[SkipValidation[Resources]]
