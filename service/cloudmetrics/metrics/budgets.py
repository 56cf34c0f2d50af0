"""A project's budgets: the service's defaults (BudgetSettings), overridden per project by
`cloudmetrics projects budgets` (table project_budgets, migration 0021).

Read by the series admission on every batch that creates series and by every query, so each
process keeps a project's budgets for a few seconds: an override reaches every task within
CACHE_SECONDS, without a database round trip per query.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from cloudmetrics.database import Connection
from cloudmetrics.settings import BudgetSettings

CACHE_SECONDS = 10.0

_READ = """
SELECT series, series_per_metric, new_series_per_minute, concurrent_queries
FROM project_budgets WHERE project_id = $1
"""
_WRITE = """
INSERT INTO project_budgets (
    project_id, series, series_per_metric, new_series_per_minute, concurrent_queries
) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (project_id) DO UPDATE SET
    series = excluded.series,
    series_per_metric = excluded.series_per_metric,
    new_series_per_minute = excluded.new_series_per_minute,
    concurrent_queries = excluded.concurrent_queries,
    updated_at = now()
"""


@dataclass(frozen=True, slots=True)
class Overrides:
    """A project's own values; None keeps the default."""

    series: int | None = None
    series_per_metric: int | None = None
    new_series_per_minute: int | None = None
    concurrent_queries: int | None = None


@dataclass(frozen=True, slots=True)
class Budgets:
    series: int
    series_per_metric: int
    new_series_per_minute: int
    concurrent_queries: int


def effective(defaults: BudgetSettings, overrides: Overrides) -> Budgets:
    return Budgets(
        series=overrides.series or defaults.series_per_project,
        series_per_metric=overrides.series_per_metric or defaults.series_per_metric,
        new_series_per_minute=overrides.new_series_per_minute or defaults.new_series_per_minute,
        concurrent_queries=overrides.concurrent_queries or defaults.concurrent_queries,
    )


async def read_overrides(connection: Connection, project_id: int) -> Overrides:
    row = await connection.fetchrow(_READ, project_id)
    if row is None:
        return Overrides()
    return Overrides(
        series=row["series"],
        series_per_metric=row["series_per_metric"],
        new_series_per_minute=row["new_series_per_minute"],
        concurrent_queries=row["concurrent_queries"],
    )


async def write_overrides(
    connection: Connection, project_id: int, changes: Overrides, *, reset: bool = False
) -> Overrides:
    """Apply ``changes`` (the values given) over the stored ones; ``reset`` forgets them first."""
    current = Overrides() if reset else await read_overrides(connection, project_id)
    given = {name: value for name, value in _fields(changes).items() if value is not None}
    merged = replace(current, **given)
    await connection.execute(
        _WRITE,
        project_id,
        merged.series,
        merged.series_per_metric,
        merged.new_series_per_minute,
        merged.concurrent_queries,
    )
    return merged


def _fields(overrides: Overrides) -> dict[str, int | None]:
    return {
        "series": overrides.series,
        "series_per_metric": overrides.series_per_metric,
        "new_series_per_minute": overrides.new_series_per_minute,
        "concurrent_queries": overrides.concurrent_queries,
    }


class BudgetCache:
    """Each project's budgets for CACHE_SECONDS in this process."""

    def __init__(self) -> None:
        self._entries: dict[int, tuple[float, Budgets]] = {}

    async def of(
        self, connection: Connection, defaults: BudgetSettings, project_id: int
    ) -> Budgets:
        now = time.monotonic()
        cached = self._entries.get(project_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        budgets = effective(defaults, await read_overrides(connection, project_id))
        self._entries[project_id] = (now + CACHE_SECONDS, budgets)
        return budgets
