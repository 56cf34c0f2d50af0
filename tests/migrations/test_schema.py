"""The first schema behaves as the metrics API expects: the contract others code against."""

from __future__ import annotations

import asyncpg
import pytest


async def test_metrics_and_points_accept_a_point(migrated_database_url: str) -> None:
    connection = await asyncpg.connect(migrated_database_url)
    try:
        metric_id = await connection.fetchval(
            "INSERT INTO metrics (project_id, name) VALUES (1, 'cpu.user:percent-1') RETURNING id"
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
            await connection.execute("INSERT INTO metrics (project_id, name) VALUES (1, $1)", name)
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
            "INSERT INTO metrics (project_id, name) VALUES (1, 'm') RETURNING id"
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


async def test_metric_names_are_unique_per_project(migrated_database_url: str) -> None:
    connection = await asyncpg.connect(migrated_database_url)
    try:
        other = await connection.fetchval(
            "INSERT INTO projects (name) VALUES ('other') RETURNING id"
        )
        insert = "INSERT INTO metrics (project_id, name) VALUES ($1, 'cpu')"
        await connection.execute(insert, 1)
        await connection.execute(insert, other)
        with pytest.raises(asyncpg.UniqueViolationError):
            await connection.execute(insert, other)
        with pytest.raises(asyncpg.NotNullViolationError):
            await connection.execute("INSERT INTO metrics (name) VALUES ('no.project')")
    finally:
        await connection.close()
    # The project holding the data from before projects existed took id 1; new ones follow it.
    assert other == 2


async def test_api_keys_accept_only_known_scopes(migrated_database_url: str) -> None:
    connection = await asyncpg.connect(migrated_database_url)
    insert = (
        "INSERT INTO api_keys (id, project_id, secret_hash, scopes) VALUES ($1, 1, sha256('x'), $2)"
    )
    try:
        await connection.execute(insert, "0123456789abcdef", ["read", "write"])
        for scopes in ([], ["admin"], ["read", "delete"]):
            with pytest.raises(asyncpg.CheckViolationError):
                await connection.execute(insert, "fedcba9876543210", scopes)
    finally:
        await connection.close()
