"""Retention per project: partitions go past the longest retention, shorter ones delete rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from cloudmetrics.settings import Settings
from cloudmetrics.storage.maintenance import maintain

NOW = datetime.now(UTC)


async def seed(url: str, projects: dict[str, int | None], ages_in_days: list[int]) -> None:
    """One metric and one series per project, a point at each age; retention overrides."""
    connection = await asyncpg.connect(url)
    try:
        for name, raw_days in projects.items():
            project = await connection.fetchval(
                "INSERT INTO projects (name) VALUES ($1) ON CONFLICT (name) DO UPDATE "
                "SET name = excluded.name RETURNING id",
                name,
            )
            if raw_days is not None:
                await connection.execute(
                    "INSERT INTO project_retention (project_id, raw_days) VALUES ($1, $2)",
                    project,
                    raw_days,
                )
            metric = await connection.fetchval(
                "INSERT INTO metrics (project_id, name) VALUES ($1, 'm') RETURNING id", project
            )
            series = await connection.fetchval(
                "INSERT INTO series (metric_id, tags, tags_hash) VALUES ($1, '{}', $2) "
                "RETURNING id",
                metric,
                name.encode(),
            )
            for age in ages_in_days:
                await record(connection, series, NOW - timedelta(days=age), float(age))
    finally:
        await connection.close()


async def record(
    connection: asyncpg.Connection[asyncpg.Record], series: int, moment: datetime, value: float
) -> None:
    """One point, with the partitions it needs."""
    for table, width in (
        ("sample_chunks", timedelta(days=1)),
        ("sample_blocks", timedelta(days=1)),
        ("rollups_1m", timedelta(days=7)),
        ("rollups_1h", timedelta(days=28)),
    ):
        await connection.execute("SELECT ensure_time_partition($1, $2, $3)", table, width, moment)
    await connection.execute("SELECT record_samples($1, $2, $3)", [series], [moment], [value])


async def ages_left(url: str) -> dict[str, list[int]]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT p.name, v.value FROM samples v JOIN series s ON s.id = v.series_id "
            "JOIN metrics m ON m.id = s.metric_id JOIN projects p ON p.id = m.project_id "
            "ORDER BY 1, 2"
        )
    finally:
        await connection.close()
    left: dict[str, list[int]] = {}
    for row in rows:
        left.setdefault(row["name"], []).append(int(row["value"]))
    return left


async def run(url: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await maintain(connection, Settings.from_environ({"DATABASE_URL": url}), now=NOW)
    finally:
        await connection.close()


async def test_a_shorter_project_retention_deletes_only_that_projects_rows(
    migrated_database_url: str,
) -> None:
    await seed(migrated_database_url, {"short": 10, "usual": None}, [2, 12, 20])

    await run(migrated_database_url)

    # The default is 30 days: nothing was old enough to drop a partition.
    assert await ages_left(migrated_database_url) == {"short": [2], "usual": [2, 12, 20]}


async def test_a_longer_project_retention_keeps_partitions_for_it_alone(
    migrated_database_url: str,
) -> None:
    await seed(migrated_database_url, {"long": 60, "usual": None}, [2, 40, 50, 70])

    await run(migrated_database_url)

    # Partitions past 60 days are gone for everyone; between 30 and 60 only "long" keeps rows.
    assert await ages_left(migrated_database_url) == {"long": [2, 40, 50], "usual": [2]}


async def test_a_project_retention_deletes_an_hour_of_rows_once_all_of_it_has_passed(
    migrated_database_url: str,
) -> None:
    await seed(migrated_database_url, {"short": 10, "usual": None}, [10])
    # Raw points are kept an hour at a time. The point exactly at the cutoff (age 10) is in an
    # hour that still holds moments inside retention, so it stays; the hour just before that
    # one lies wholly past the cutoff, so its point (labelled 11) goes.
    cutoff_hour = (NOW - timedelta(days=10)).replace(minute=0, second=0, microsecond=0)
    connection = await asyncpg.connect(migrated_database_url)
    try:
        series = await connection.fetchval(
            "SELECT s.id FROM series s JOIN metrics m ON m.id = s.metric_id "
            "JOIN projects p ON p.id = m.project_id WHERE p.name = 'short'"
        )
        await record(connection, series, cutoff_hour - timedelta(microseconds=1), 11.0)
    finally:
        await connection.close()

    await run(migrated_database_url)

    assert await ages_left(migrated_database_url) == {"short": [10], "usual": [10]}
