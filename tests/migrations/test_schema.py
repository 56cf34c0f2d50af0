"""The first schema behaves as the metrics API expects: the contract others code against."""

from __future__ import annotations

import asyncpg
import pytest


async def test_metrics_and_points_accept_a_point(migrated_database_url: str) -> None:
    connection = await asyncpg.connect(migrated_database_url)
    try:
        metric_id = await connection.fetchval(
            "INSERT INTO metrics (name) VALUES ('cpu.user:percent-1') RETURNING id"
        )
        await connection.execute(
            "INSERT INTO points (metric_id, ts, value) VALUES ($1, now(), 0.5)", metric_id
        )
        row = await connection.fetchrow("SELECT tags, value FROM points")
    finally:
        await connection.close()
    assert row is not None
    assert row["tags"] == "{}"
    assert row["value"] == 0.5


@pytest.mark.parametrize("name", ["1starts_with_digit", "has space", "x" * 201, ""])
async def test_metric_names_outside_the_syntax_are_refused(
    migrated_database_url: str, name: str
) -> None:
    connection = await asyncpg.connect(migrated_database_url)
    try:
        with pytest.raises(asyncpg.CheckViolationError):
            await connection.execute("INSERT INTO metrics (name) VALUES ($1)", name)
    finally:
        await connection.close()


async def test_points_need_a_known_metric_and_object_tags(migrated_database_url: str) -> None:
    connection = await asyncpg.connect(migrated_database_url)
    try:
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await connection.execute(
                "INSERT INTO points (metric_id, ts, value) VALUES (42, now(), 1)"
            )
        metric_id = await connection.fetchval(
            "INSERT INTO metrics (name) VALUES ('m') RETURNING id"
        )
        with pytest.raises(asyncpg.CheckViolationError):
            await connection.execute(
                "INSERT INTO points (metric_id, ts, value, tags) VALUES ($1, now(), 1, '[]')",
                metric_id,
            )
    finally:
        await connection.close()


async def test_the_query_path_has_its_indexes(migrated_database_url: str) -> None:
    connection = await asyncpg.connect(migrated_database_url)
    try:
        definitions = {
            row["indexname"]: row["indexdef"]
            for row in await connection.fetch(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'points'"
            )
        }
    finally:
        await connection.close()
    assert "(metric_id, ts)" in definitions["points_metric_id_ts_idx"]
    assert "USING gin (tags jsonb_path_ops)" in definitions["points_tags_idx"]
    assert "USING brin (ts)" in definitions["points_ts_brin_idx"]
