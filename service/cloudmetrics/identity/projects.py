"""Projects, the tenant unit: every metric and every key belongs to one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from cloudmetrics.database import Connection
from cloudmetrics.errors import Conflict, InvalidRequest, NotFound

NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
_NAME = re.compile(NAME_PATTERN)


@dataclass(frozen=True, slots=True)
class Project:
    id: int
    name: str
    created_at: datetime


def check_project_name(name: str) -> None:
    if not _NAME.match(name):
        raise InvalidRequest(
            f"project names are 1-63 lower-case letters, digits and dashes, "
            f"starting with a letter or digit: {name!r}"
        )


async def create_project(connection: Connection, name: str) -> Project:
    check_project_name(name)
    try:
        row = await connection.fetchrow(
            "INSERT INTO projects (name) VALUES ($1) RETURNING id, name, created_at", name
        )
    except asyncpg.UniqueViolationError:
        raise Conflict(f"a project named {name!r} already exists") from None
    if row is None:  # INSERT ... RETURNING always returns its row
        raise RuntimeError("INSERT INTO projects returned no row")
    return _project(row)


async def project_named(connection: Connection, name: str) -> Project:
    row = await connection.fetchrow(
        "SELECT id, name, created_at FROM projects WHERE name = $1", name
    )
    if row is None:
        raise NotFound(f"no project is named {name!r}")
    return _project(row)


def _project(row: asyncpg.Record) -> Project:
    return Project(id=row["id"], name=row["name"], created_at=row["created_at"])
