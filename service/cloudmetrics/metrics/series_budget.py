"""Admitting new series into the dictionary against the project's budgets (metrics/budgets.py).

`resolve_series` calls `SeriesAdmission.admit` with the series a batch would create, inside the
batch's transaction and before it creates them. Refusing raises SeriesBudgetExceeded (422): the
transaction rolls back and nothing of the request is written, metric names included. The same
path serves /v1 and every protocol (protocols/ingest.py), so the budgets hold for all of them.

- Series per metric and per project are counted in PostgreSQL under a transaction-level
  advisory lock per project, so two batches cannot both fit under the limit and together pass
  it. Only batches that create series take the lock; the rest never reach here.
- New series per minute are counted in Redis, shared by every task, in a window per calendar
  minute. A Redis failure admits (the totals above still hold); a batch that later rolls back
  keeps its count for the rest of the minute (it errs on the refusing side).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence

from cloudmetrics.database import Connection
from cloudmetrics.errors import CloudMetricsError
from cloudmetrics.metrics.series_ids import SeriesKey
from cloudmetrics.redis_client import REDIS_FAILURES, add_to_counter
from cloudmetrics.resources import Resources

_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('cloudmetrics.series-budget', $1))"
_PER_METRIC = """
SELECT m.id, m.name, count(s.id) AS series
FROM metrics m LEFT JOIN series s ON s.metric_id = m.id
WHERE m.id = ANY($1::bigint[])
GROUP BY m.id, m.name
"""
_PER_PROJECT = """
SELECT count(*) FROM series s JOIN metrics m ON m.id = s.metric_id WHERE m.project_id = $1
"""


class SeriesBudgetExceeded(CloudMetricsError):
    """A 4xx that every protocol's clients treat as "do not retry this request" (429 would make
    Prometheus retry the same batch for ever, holding back the rest of its queue)."""

    status_code = 422
    problem = "series-budget-exceeded"


def _refuse(
    limit: str, value: int, current: int, requested: int, *, what: str, **more: object
) -> SeriesBudgetExceeded:
    return SeriesBudgetExceeded(
        f"{what} would pass its budget {limit}={value}: it has {current}, and this request adds "
        f"{requested}; nothing of the request was written",
        extra={"limit": limit, "value": value, "current": current, "requested": requested, **more},
    )


class SeriesAdmission:
    """The budgets of one project's batch."""

    def __init__(self, resources: Resources, project_id: int) -> None:
        self._resources = resources
        self._project_id = project_id

    async def admit(self, connection: Connection, new: Sequence[SeriesKey]) -> None:
        """Raise SeriesBudgetExceeded unless the project may create ``new``."""
        if not new:
            return
        resources = self._resources
        budgets = await resources.budgets.of(
            connection, resources.settings.budgets, self._project_id
        )
        await connection.execute(_LOCK, self._project_id)
        wanted = Counter(metric_id for metric_id, _ in new)
        for row in await connection.fetch(_PER_METRIC, list(wanted)):
            if row["series"] + wanted[row["id"]] > budgets.series_per_metric:
                raise _refuse(
                    "series_per_metric",
                    budgets.series_per_metric,
                    row["series"],
                    wanted[row["id"]],
                    what=f"metric {row['name']!r}",
                    metric=row["name"],
                )
        held = int(await connection.fetchval(_PER_PROJECT, self._project_id))
        if held + len(new) > budgets.series:
            raise _refuse("series", budgets.series, held, len(new), what="the project")
        await self._count_this_minute(len(new), budgets.new_series_per_minute)

    async def _count_this_minute(self, amount: int, budget: int) -> None:
        resources = self._resources
        now = time.time()
        minute = int(now // 60)
        key = f"{resources.settings.cache.key_prefix}new-series:{self._project_id}:{minute}"
        try:
            count = await add_to_counter(resources.redis, key, amount, window_seconds=120)
            if count > budget:
                await add_to_counter(resources.redis, key, -amount, window_seconds=120)
        except REDIS_FAILURES:
            return  # guarded() has logged it; the totals still bound the project
        if count > budget:
            error = _refuse(
                "new_series_per_minute", budget, count - amount, amount, what="the project"
            )
            error.headers["Retry-After"] = str(max(int(60 - now % 60), 1))
            raise error
