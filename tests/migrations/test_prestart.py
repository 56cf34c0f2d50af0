"""`cloudmetrics prestart` applies pending migrations after the dependency checks."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner

from cloudmetrics.cli import main
from tests.migrations.schema import REPOSITORY_IDS, ledger_rows, write_migration


def test_prestart_migrates_the_database(
    database_url: str, redis_url: str, migrations_dir: Path
) -> None:
    environment = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "MIGRATIONS_DIR": str(migrations_dir),
    }

    first = CliRunner().invoke(main, ["prestart"], env=environment)
    second = CliRunner().invoke(main, ["prestart"], env=environment)

    assert first.exit_code == 0, first.output
    assert "PostgreSQL and Redis answer" in first.output
    assert "applied 0001_create_metrics_and_points.sql" in first.output
    assert second.exit_code == 0, second.output
    assert "nothing to apply" in second.output
    assert [row[0] for row in asyncio.run(ledger_rows(database_url)) or []] == REPOSITORY_IDS


def test_prestart_stops_with_one_line_when_a_migration_fails(
    database_url: str, redis_url: str, migrations_dir: Path
) -> None:
    write_migration(migrations_dir, "0900_broken", "SELECT 1 / 0;")
    environment = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "MIGRATIONS_DIR": str(migrations_dir),
    }

    result = CliRunner().invoke(main, ["prestart"], env=environment)

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert (
        result.output.strip()
        .splitlines()[-1]
        .startswith("Error: 0900_broken.sql (up) failed at line 3: DivisionByZeroError")
    )


def test_prestart_says_how_to_create_the_first_user_and_key(
    database_url: str, redis_url: str, migrations_dir: Path
) -> None:
    environment = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "MIGRATIONS_DIR": str(migrations_dir),
    }

    result = CliRunner().invoke(main, ["prestart"], env=environment)

    assert result.exit_code == 0, result.output
    assert "No user or API key exists yet" in result.output
    assert "cloudmetrics users create" in result.output
    assert "cloudmetrics keys create --project" in result.output
