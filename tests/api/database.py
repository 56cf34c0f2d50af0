"""Reading the database behind the API directly, to check what a request really wrote."""

from __future__ import annotations

import asyncpg


async def fetch_value(url: str, sql: str, *args: object) -> object:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval(sql, *args)
    finally:
        await connection.close()


async def execute(url: str, sql: str, *args: object) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(sql, *args)
    finally:
        await connection.close()


async def point_count(url: str) -> int:
    count = await fetch_value(url, "SELECT count(*) FROM samples")
    assert isinstance(count, int)
    return count
