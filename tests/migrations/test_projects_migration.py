"""0002/0003 move the metrics that predate projects into the project they create, "default"."""

from __future__ import annotations

import asyncpg
import pytest

from cloudmetrics.migrations.errors import MigrationFailed
from cloudmetrics.migrations.runner import MigrationRunner
from tests.migrations.schema import REPOSITORY_IDS, REPOSITORY_MIGRATIONS


async def test_existing_metrics_and_points_move_into_the_default_project(
    database_url: str,
) -> None:
    runner = MigrationRunner(database_url, REPOSITORY_MIGRATIONS)
    await runner.up(to="0001")
    connection = await asyncpg.connect(database_url)
    try:
        ids = [
            await connection.fetchval("INSERT INTO metrics (name) VALUES ($1) RETURNING id", name)
            for name in ("cpu", "mem")
        ]
        await connection.execute(
            "INSERT INTO points (metric_id, ts, value) VALUES ($1, now(), 1), ($2, now(), 2)", *ids
        )
        await runner.up(to="0002")
        # Between expand and contract, a writer of the previous release still lands in "default".
        await connection.execute("INSERT INTO metrics (name) VALUES ('disk')")
        await runner.up(to="0003")

        rows = await connection.fetch(
            "SELECT p.name AS project, m.name FROM metrics m JOIN projects p ON p.id = m.project_id"
            " ORDER BY m.name"
        )
        points = await connection.fetchval("SELECT count(*) FROM points")
    finally:
        await connection.close()

    assert [(row["project"], row["name"]) for row in rows] == [
        ("default", "cpu"),
        ("default", "disk"),
        ("default", "mem"),
    ]
    assert points == 2


async def test_the_contract_step_rolls_back_whole_when_names_collide_across_projects(
    migrated_database_url: str,
) -> None:
    connection = await asyncpg.connect(migrated_database_url)
    try:
        other = await connection.fetchval("INSERT INTO projects (name) VALUES ('b') RETURNING id")
        await connection.execute(
            "INSERT INTO metrics (project_id, name) VALUES (1, 'cpu'), ($1, 'cpu')", other
        )
    finally:
        await connection.close()
    runner = MigrationRunner(migrated_database_url, REPOSITORY_MIGRATIONS)

    with pytest.raises(MigrationFailed) as failure:
        await runner.down(to="0002")

    assert str(failure.value).startswith("0003_metric_names_unique_per_project.sql (down)")
    assert "UniqueViolationError" in str(failure.value)
    # Everything after 0003 was rolled back before it; 0003 itself stays applied, whole.
    state = await runner.status()
    assert [m.id for m in state.pending] == [i for i in REPOSITORY_IDS if i > "0003"]
