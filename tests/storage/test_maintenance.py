"""`cloudmetrics maintain`: partitions ahead of ingest, retention by dropping whole partitions.

Raw points are in `sample_chunks` and `sample_blocks` (migration 0023), partitioned by day alike:
the partition checks read `sample_blocks`, and `record_samples` writes what the tests store."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from click.testing import CliRunner

from cloudmetrics.cli import main
from cloudmetrics.settings import Settings
from cloudmetrics.storage.maintenance import LOCK_KEY, MaintenanceReport, maintain
from cloudmetrics.storage.partitions import HOUR_ROLLUPS, MINUTE_ROLLUPS, SAMPLE_BLOCKS, TABLES

NOW = datetime(2031, 6, 15, 12, 30, tzinfo=UTC)


def settings_for(url: str, **environment: str) -> Settings:
    return Settings.from_environ({"DATABASE_URL": url, **environment})


async def partition_names(url: str, table: str) -> list[str]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = $1::regclass ORDER BY 1",
            table,
        )
    finally:
        await connection.close()
    return [row["relname"] for row in rows]


async def run(
    url: str, settings: Settings, now: datetime = NOW, *, dry_run: bool = False
) -> MaintenanceReport:
    connection = await asyncpg.connect(url)
    try:
        return await maintain(connection, settings, now=now, dry_run=dry_run)
    finally:
        await connection.close()


async def test_partitions_cover_the_whole_ingest_window_and_the_days_ahead(
    migrated_database_url: str,
) -> None:
    settings = settings_for(migrated_database_url, PARTITIONS_AHEAD_DAYS="3")

    report = await run(migrated_database_url, settings)

    names = await partition_names(migrated_database_url, "sample_blocks")
    assert await partition_names(migrated_database_url, "sample_chunks") == [
        name.replace("sample_blocks", "sample_chunks") for name in names
    ]
    # Accepted: 7 days back, 10 minutes ahead; plus 3 days of margin.
    for day in range(-7, 4):
        moment = NOW + timedelta(days=day)
        assert f"sample_blocks_p{moment:%Y%m%d}" in names, moment
    assert f"sample_blocks_p{NOW + timedelta(days=5):%Y%m%d}" not in names
    assert set(report.created) >= {f"sample_blocks_p{NOW:%Y%m%d}", f"sample_chunks_p{NOW:%Y%m%d}"}
    # Rollup tables get theirs too: the week and the 28 days the same moments fall in.
    assert f"rollups_1m_p{MINUTE_ROLLUPS.lower_bound(NOW):%Y%m%d}" in report.created
    assert f"rollups_1h_p{HOUR_ROLLUPS.lower_bound(NOW):%Y%m%d}" in report.created


async def test_a_second_run_changes_nothing(migrated_database_url: str) -> None:
    settings = settings_for(migrated_database_url)
    await run(migrated_database_url, settings)
    before = {t.name: await partition_names(migrated_database_url, t.name) for t in TABLES}

    again = await run(migrated_database_url, settings)

    assert (again.created, again.dropped, again.skipped) == ([], [], False)
    after = {t.name: await partition_names(migrated_database_url, t.name) for t in TABLES}
    assert after == before


async def test_points_in_the_new_partitions_are_accepted(migrated_database_url: str) -> None:
    settings = settings_for(migrated_database_url)
    await run(migrated_database_url, settings, now=datetime.now(UTC))
    connection = await asyncpg.connect(migrated_database_url)
    try:
        for offset in (timedelta(days=-6, hours=-23), timedelta(days=7)):
            await connection.execute(
                "SELECT record_samples('{1}', $1, '{1.0}')", [datetime.now(UTC) + offset]
            )
        stored = await connection.fetchval("SELECT count(*) FROM samples")
    finally:
        await connection.close()
    assert stored == 2


async def test_retention_drops_whole_partitions_past_it_and_keeps_the_rest(
    migrated_database_url: str,
) -> None:
    settings = settings_for(migrated_database_url, RAW_RETENTION_DAYS="10")
    await run(migrated_database_url, settings, now=NOW - timedelta(days=14))
    connection = await asyncpg.connect(migrated_database_url)
    try:
        await connection.execute(
            "SELECT record_samples('{1, 1}', $1, '{1.0, 2.0}')",
            [
                NOW - timedelta(days=11),  # in a partition wholly past retention
                NOW - timedelta(days=10),  # in the partition the cutoff falls in: kept
            ],
        )
    finally:
        await connection.close()

    report = await run(migrated_database_url, settings)

    cutoff = NOW - timedelta(days=10)
    for table in ("sample_blocks", "sample_chunks"):
        assert f"{table}_p{cutoff - timedelta(days=1):%Y%m%d}" in report.dropped
        assert f"{table}_p{cutoff:%Y%m%d}" not in report.dropped
    bounds = [SAMPLE_BLOCKS.partition_bounds(name) for name in report.dropped]
    assert any(bound is not None for bound in bounds)
    assert all(bound[1] <= cutoff for bound in bounds if bound is not None)
    remaining = await partition_names(migrated_database_url, "sample_blocks")
    assert not set(report.dropped) & set(remaining)
    connection = await asyncpg.connect(migrated_database_url)
    try:
        values = [row["value"] for row in await connection.fetch("SELECT value FROM samples")]
    finally:
        await connection.close()
    assert values == [2.0]
    # Rollups keep their longer defaults: nothing of theirs was old enough.
    assert not [name for name in report.dropped if name.startswith("rollups")]


async def test_a_dry_run_reports_and_changes_nothing(migrated_database_url: str) -> None:
    settings = settings_for(migrated_database_url, RAW_RETENTION_DAYS="10")
    before = await partition_names(migrated_database_url, "sample_blocks")

    report = await run(migrated_database_url, settings, now=NOW + timedelta(days=400), dry_run=True)

    assert report.created
    assert report.dropped
    assert await partition_names(migrated_database_url, "sample_blocks") == before


async def test_a_run_while_another_holds_the_lock_does_nothing(migrated_database_url: str) -> None:
    holder = await asyncpg.connect(migrated_database_url)
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
        report = await run(migrated_database_url, settings_for(migrated_database_url))
    finally:
        await holder.close()
    assert report.skipped
    assert report.created == []


async def test_a_busy_partition_is_left_for_the_next_run(migrated_database_url: str) -> None:
    settings = settings_for(migrated_database_url, RAW_RETENTION_DAYS="10")
    old_day = datetime.now(UTC) - timedelta(days=12)
    reader = await asyncpg.connect(migrated_database_url)
    try:
        await reader.execute("SELECT ensure_time_partition('sample_blocks', '1 day', $1)", old_day)
        busy = f"sample_blocks_p{old_day:%Y%m%d}"
        transaction = reader.transaction()
        await transaction.start()
        await reader.execute(f"LOCK TABLE {busy} IN ACCESS SHARE MODE")
        report = await asyncio.wait_for(
            run(migrated_database_url, settings, now=datetime.now(UTC)), timeout=30
        )
        await transaction.rollback()
    finally:
        await reader.close()
    assert [reason.split(":")[0] for reason in report.deferred] == [busy]
    assert busy in await partition_names(migrated_database_url, "sample_blocks")


def test_the_command_prints_what_it_did(migrated_database_url: str) -> None:
    runner = CliRunner()
    environment = {"DATABASE_URL": migrated_database_url, "PARTITIONS_AHEAD_DAYS": "30"}

    first = runner.invoke(main, ["maintain"], env=environment)
    second = runner.invoke(main, ["maintain"], env=environment)

    assert first.exit_code == 0, first.output
    assert "created sample_blocks_p" in first.output
    assert second.exit_code == 0, second.output
    assert "0 created, 0 dropped" in second.output


def test_the_command_names_a_missing_schema(database_url: str) -> None:
    result = CliRunner().invoke(main, ["maintain"], env={"DATABASE_URL": database_url})

    assert result.exit_code == 1
    assert "run `cloudmetrics migrate up` first" in result.output


@pytest.mark.parametrize(
    ("variable", "value"), [("RAW_RETENTION_DAYS", "3"), ("PARTITIONS_AHEAD_DAYS", "0")]
)
def test_retention_settings_are_checked(variable: str, value: str) -> None:
    result = CliRunner().invoke(main, ["maintain"], env={variable: value})

    assert result.exit_code == 1
    assert f"invalid {variable}" in result.output
