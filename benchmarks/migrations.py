"""How long `migrate up` takes: on an empty database, and as the no-op every deploy runs.

Each figure is measured on throwaway databases (created and dropped here, never `cloudmetrics`):
- `up` on an empty database through the Python API (connect, lock, every migration, ledger);
- a no-op `up` through the Python API (one connection, one ledger query);
- a no-op `cloudmetrics migrate up` as a process, which is what the deploy's migration task
  pays (interpreter start and imports included).

    .venv/bin/python -m benchmarks.migrations [--rounds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from benchmarks.support.scratch import admin, database_url
from cloudmetrics.migrations.files import load_migrations
from cloudmetrics.migrations.runner import MigrationRunner

REPOSITORY = Path(__file__).resolve().parents[1]
MIGRATIONS = REPOSITORY / "migrations"


async def timed(work: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await work()
    return (time.perf_counter() - started) * 1000


def cli_no_op(url: str) -> float:
    environment = {**os.environ, "DATABASE_URL": url, "MIGRATIONS_DIR": str(MIGRATIONS)}
    command = [str(Path(sys.executable).parent / "cloudmetrics"), "migrate", "up"]
    started = time.perf_counter()
    subprocess.run(command, env=environment, check=True, capture_output=True)
    return (time.perf_counter() - started) * 1000


def describe(label: str, samples: list[float]) -> str:
    return (
        f"{label:<34} median {statistics.median(samples):7.1f} ms   "
        f"min {min(samples):7.1f} ms   max {max(samples):7.1f} ms   (n={len(samples)})"
    )


async def main(rounds: int) -> None:
    prefix = f"cm_bench_{uuid.uuid4().hex[:8]}"
    names = [f"{prefix}_{index}" for index in range(rounds)]
    empty_up: list[float] = []
    no_op_up: list[float] = []
    cli_no_op_up: list[float] = []
    try:
        for name in names:
            await admin(f'CREATE DATABASE "{name}"')
            url = database_url(name)
            runner = MigrationRunner(url, MIGRATIONS)
            empty_up.append(await timed(runner.up))
            no_op_up.append(await timed(runner.up))
            cli_no_op_up.append(await asyncio.to_thread(cli_no_op, url))
    finally:
        for name in names:
            await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    count = len(load_migrations(MIGRATIONS))
    print(f"{count} migration(s) in {MIGRATIONS.relative_to(REPOSITORY)}/, {rounds} rounds")
    print(describe("up on an empty database (API)", empty_up))
    print(describe("no-op up (API)", no_op_up))
    print(describe("no-op `cloudmetrics migrate up`", cli_no_op_up))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Time `migrate up`: empty database and no-op.")
    parser.add_argument("--rounds", type=int, default=10)
    asyncio.run(main(parser.parse_args().rounds))
