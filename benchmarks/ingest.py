"""Ingest throughput through HTTP beside raw asyncpg COPY, and series query latency.

In one run, against a database it creates and drops:

1. the same rows (batches of 1,000 points) go into `points` twice: through `POST /v1/metrics`
   of a real `cloudmetrics serve` process, and by raw `copy_records_to_table` on one asyncpg
   connection, one transaction per batch, as the service does. Points/s of each and the ratio
   (target >= 0.5) are printed. Request bodies are encoded before the clock starts: client-side
   JSON encoding is not the service's cost.
2. one metric gets one million points (by COPY), then `GET /v1/metrics/{name}/series` is timed
   over the whole million (hourly buckets) and over a one-hour window; p50/p99 are printed.

    .venv/bin/python benchmarks/ingest.py [--batches 100] [--clients 4] [--queries 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

from cloudmetrics.identity.api_keys import create_key
from cloudmetrics.identity.projects import create_project
from cloudmetrics.migrations.runner import MigrationRunner
from cloudmetrics.settings import Settings

REPOSITORY = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
BATCH_SIZE = 1000
METRICS = 20
SERIES_METRIC = "bench.series"
SERIES_POINTS = 1_000_000
SERIES_SPAN = timedelta(days=7)

Row = tuple[str, datetime, float, dict[str, str]]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--batches", type=int, default=100, help="batches of 1,000 points")
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients")
    parser.add_argument("--queries", type=int, default=50, help="series queries per shape")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    options = parser.parse_args()

    database = f"cm_bench_{uuid.uuid4().hex[:8]}"
    database_url = ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"
    project_id, key = asyncio.run(_create_database(database, database_url))
    try:
        environment = {
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "REDIS_KEY_PREFIX": f"bench-{database}:",
            "WEB_CONCURRENCY": str(options.workers),
            "RATE_LIMIT_PER_MINUTE": "0",
            "LOG_LEVEL": "WARNING",
        }
        with _server(environment) as base_url:
            asyncio.run(_run(options, base_url, database_url, Bench(project_id, key)))
    finally:
        asyncio.run(_drop_database(database))


@dataclass(frozen=True)
class Bench:
    """The project the benchmark writes into, and its read and write key."""

    project_id: int
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


async def _run(options: argparse.Namespace, base_url: str, database_url: str, bench: Bench) -> None:
    batches = [_batch(index) for index in range(options.batches)]
    bodies = [
        json.dumps({"points": [_json_point(row) for row in batch]}).encode() for batch in batches
    ]
    total = options.batches * BATCH_SIZE
    print(f"ingest: {options.batches} batches of {BATCH_SIZE} points, {options.workers} worker(s)")

    # Warm-up: metric names created, connections and caches warm on both paths.
    await _http_ingest(base_url, bodies[:2], bench, clients=1)
    await _copy_ingest(database_url, batches[:2], bench, connections=1)

    print(f"  {'':<30}{'HTTP points/s':>15}{'COPY points/s':>15}{'ratio':>7}")
    for concurrency in sorted({1, options.clients}):
        # Alternate the two, so a burst of load from elsewhere hits both alike.
        http = total / await _http_ingest(base_url, bodies, bench, clients=concurrency)
        copy = total / await _copy_ingest(database_url, batches, bench, connections=concurrency)
        label = f"{concurrency} HTTP client(s) / COPY conn(s)"
        print(f"  {label:<30}{http:>15,.0f}{copy:>15,.0f}{http / copy:>7.2f}")
    print("  target: ratio >= 0.5")

    await _load_series(database_url, bench)
    end = datetime.now(UTC).replace(microsecond=0)
    shapes = {
        "1M points, 168 hourly buckets": {
            "start": (end - SERIES_SPAN).isoformat(),
            "end": end.isoformat(),
            "step": "1h",
            "agg": "avg",
        },
        "1 hour (~6k points), 60 buckets": {
            "start": (end - timedelta(hours=1)).isoformat(),
            "end": end.isoformat(),
            "step": "1m",
            "agg": "max",
        },
        "1M points, tag filter": {
            "start": (end - SERIES_SPAN).isoformat(),
            "end": end.isoformat(),
            "step": "1d",
            "agg": "count",
            "tag": "host:h1",
        },
    }
    print(f"series: {SERIES_POINTS:,} points of {SERIES_METRIC} over {SERIES_SPAN.days} days")
    async with httpx.AsyncClient(base_url=base_url, timeout=60, headers=bench.headers) as client:
        for label, params in shapes.items():
            timings: list[float] = []
            buckets = 0
            for _ in range(options.queries + 3):
                started = time.perf_counter()
                response = await client.get(f"/v1/metrics/{SERIES_METRIC}/series", params=params)
                timings.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
                buckets = len(response.json()["points"])
            timings = sorted(timings[3:])  # the first few warm the plan and the caches
            p50 = statistics.median(timings)
            p99 = timings[min(len(timings) - 1, round(0.99 * (len(timings) - 1)))]
            print(f"  {label:<34} p50 {p50:8.1f} ms   p99 {p99:8.1f} ms   ({buckets} buckets)")


def _batch(index: int) -> list[Row]:
    moment = datetime.now(UTC) - timedelta(hours=1)
    return [
        (
            f"bench.metric.{(index + offset) % METRICS}",
            moment + timedelta(milliseconds=index * BATCH_SIZE + offset),
            float(offset),
            {"host": f"h{offset % 10}", "region": "eu-west-1"},
        )
        for offset in range(BATCH_SIZE)
    ]


def _json_point(row: Row) -> dict[str, object]:
    name, moment, value, tags = row
    return {"name": name, "timestamp": moment.isoformat(), "value": value, "tags": tags}


async def _http_ingest(base_url: str, bodies: list[bytes], bench: Bench, *, clients: int) -> float:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            response = await client.post(
                "/v1/metrics", content=body, headers={"content-type": "application/json"}
            )
            if response.status_code != 201:
                raise RuntimeError(f"ingest answered {response.status_code}: {response.text}")

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(
        base_url=base_url, timeout=60, limits=limits, headers=bench.headers
    ) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        return time.perf_counter() - started


async def _copy_ingest(
    database_url: str, batches: list[list[Row]], bench: Bench, *, connections: int
) -> float:
    """Seconds to COPY every batch, one transaction per batch, over ``connections``."""
    pool = await asyncpg.create_pool(database_url, min_size=connections, max_size=connections)
    try:
        names = sorted({row[0] for batch in batches for row in batch})
        await pool.execute(
            "INSERT INTO metrics (project_id, name) SELECT $1, unnest($2::text[]) "
            "ON CONFLICT DO NOTHING",
            bench.project_id,
            names,
        )
        rows = await pool.fetch(
            "SELECT name, id FROM metrics WHERE project_id = $1", bench.project_id
        )
        ids: dict[str, int] = {row["name"]: row["id"] for row in rows}
        queue: asyncio.Queue[list[Row]] = asyncio.Queue()
        for batch in batches:
            queue.put_nowait(batch)

        async def worker() -> None:
            async with pool.acquire() as connection:
                while not queue.empty():
                    batch = queue.get_nowait()
                    # The same preparation the service does per point: tags become JSON text.
                    records = [
                        (ids[name], moment, value, json.dumps(tags))
                        for name, moment, value, tags in batch
                    ]
                    async with connection.transaction():
                        await connection.copy_records_to_table(
                            "points", records=records, columns=("metric_id", "ts", "value", "tags")
                        )

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        return time.perf_counter() - started
    finally:
        await pool.close()


async def _load_series(database_url: str, bench: Bench) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        metric = await connection.fetchval(
            "INSERT INTO metrics (project_id, name) VALUES ($1, $2) RETURNING id",
            bench.project_id,
            SERIES_METRIC,
        )
        end = datetime.now(UTC)
        interval = SERIES_SPAN / SERIES_POINTS
        chunk = 100_000
        for first in range(0, SERIES_POINTS, chunk):
            records = [
                (
                    metric,
                    end - (index + 1) * interval,
                    float(index % 1000),
                    f'{{"host": "h{index % 4}"}}',
                )
                for index in range(first, first + chunk)
            ]
            await connection.copy_records_to_table(
                "points", records=records, columns=("metric_id", "ts", "value", "tags")
            )
        await connection.execute("ANALYZE points")
    finally:
        await connection.close()


@contextmanager
def _server(environment: dict[str, str]) -> Generator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, **environment, "HOST": "127.0.0.1", "PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "cloudmetrics", "serve"], env=env, cwd=REPOSITORY
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base_url}/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the server did not become ready")
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


async def _create_database(name: str, url: str) -> tuple[int, str]:
    """Create and migrate the database; return the benchmark project's id and its key."""
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    await MigrationRunner(url, Settings().migrations_dir).up()
    connection = await asyncpg.connect(url)
    try:
        project = await create_project(connection, "bench")
        created = await create_key(connection, project.id, ["read", "write"])
    finally:
        await connection.close()
    return project.id, created.text


async def _drop_database(name: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


if __name__ == "__main__":
    main()
