"""Fixtures for the runner's tests: migration folders of their own, built in tmp_path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.migrations.schema import REPOSITORY_MIGRATIONS, write_migration


@pytest.fixture
def migrations_dir(tmp_path: Path) -> Path:
    """A copy of the repository's migrations that a test may add files to."""
    folder = tmp_path / "migrations"
    shutil.copytree(REPOSITORY_MIGRATIONS, folder)
    return folder


@pytest.fixture
def small_migrations(tmp_path: Path) -> Path:
    """Two tiny migrations of our own, independent of the real schema."""
    folder = tmp_path / "small"
    folder.mkdir()
    write_migration(
        folder, "0001_create_a", "CREATE TABLE a (id bigint PRIMARY KEY);", "DROP TABLE a;"
    )
    write_migration(
        folder, "0002_create_b", "CREATE TABLE b (id bigint PRIMARY KEY);", "DROP TABLE b;"
    )
    return folder
