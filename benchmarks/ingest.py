"""Ingest throughput over HTTP beside the storage layer's direct write; series query latency.

In one run, against a database it creates and drops:

1. batches of 1,000 points are written through `POST /v1/metrics` of a real `cloudmetrics
   serve` process, and by the storage layer's own `write_points` on asyncpg connections, one
   transaction per batch, as the service does (each write with timestamps of its own). Points/s
   of each and the ratio are printed. Request bodies are encoded before the clock starts:
   client-side JSON encoding is not the service's cost.
2. one metric gets one million points (written directly), then
   `GET /v1/metrics/{name}/series` is timed over the whole million (hourly buckets) and over a
   one-hour window; p50/p99 are printed.

    .venv/bin/python -m benchmarks.ingest [--batches 100] [--clients 4] [--queries 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from benchmarks.support.scratch import Scratch, scratch_database
from cloudmetrics.metrics.ingest import write_points
from cloudmetrics.metrics.models import Point
from cloudmetrics.metrics.series_ids import SeriesIdCache
from tests.support.server import app_command, running_server

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

    with scratch_database() as scratch:
        environment = scratch.server_environment(workers=options.workers)
        with running_server(
            environment,
            command=app_command(),
            ready_path="/ready",
            capture_output=False,
        ) as served:
            asyncio.run(_run(options, served.url, scratch))


async def _run(options: argparse.Namespace, base_url: str, bench: Scratch) -> None:
    database_url = bench.url
    # Points are one value per series and timestamp: every write below gets timestamps of its
    # own (shifted by microseconds), or it would measure the path for retried batches.
    writes = iter(range(1, 1000))

    def rows(count: int) -> list[list[Row]]:
        shift = timedelta(microseconds=next(writes))
        return [_batch(index, shift) for index in range(count)]

    def bodies(batches: list[list[Row]]) -> list[bytes]:
        return [
            json.dumps({"points": [_json_point(row) for row in batch]}).encode()
            for batch in batches
        ]

    total = options.batches * BATCH_SIZE
    print(f"ingest: {options.batches} batches of {BATCH_SIZE} points, {options.workers} worker(s)")

    # Warm-up: metric names and series created, connections and caches warm on both paths.
    await _http_ingest(base_url, bodies(rows(2)), bench, clients=1)
    await _copy_ingest(database_url, rows(2), bench, connections=1)

    print(f"  {'':<30}{'HTTP points/s':>15}{'direct points/s':>17}{'ratio':>7}")
    for concurrency in sorted({1, options.clients}):
        http_bodies, direct_rows = bodies(rows(options.batches)), rows(options.batches)
        # Alternate the two, so a burst of load from elsewhere hits both alike.
        http = total / await _http_ingest(base_url, http_bodies, bench, clients=concurrency)
        copy = total / await _copy_ingest(database_url, direct_rows, bench, connections=concurrency)
        label = f"{concurrency} HTTP client(s) / conn(s)"
        print(f"  {label:<30}{http:>15,.0f}{copy:>17,.0f}{http / copy:>7.2f}")
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


def _batch(index: int, shift: timedelta) -> list[Row]:
    moment = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1) + shift
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


async def _http_ingest(
    base_url: str, bodies: list[bytes], bench: Scratch, *, clients: int
) -> float:
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
    database_url: str, batches: list[list[Row]], bench: Scratch, *, connections: int
) -> float:
    """Seconds to write every batch through the storage layer directly (series resolved from
    the cache, points and rollups by `record_samples`), one transaction per batch, over
    ``connections``: what ingest costs without HTTP and validation."""
    pool = await asyncpg.create_pool(database_url, min_size=connections, max_size=connections)
    cache = SeriesIdCache()
    try:
        queue: asyncio.Queue[list[Point]] = asyncio.Queue()
        for batch in batches:
            # The same preparation the service does per point: tags become JSON text.
            queue.put_nowait(
                [
                    Point(name, moment, value, json.dumps(tags))
                    for name, moment, value, tags in batch
                ]
            )

        async def worker() -> None:
            async with pool.acquire() as proxy:
                connection: Any = proxy
                while not queue.empty():
                    written = await write_points(
                        connection, bench.project_id, queue.get_nowait(), cache
                    )
                    cache.add(written.series.items())

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        return time.perf_counter() - started
    finally:
        await pool.close()


async def _load_series(database_url: str, bench: Scratch) -> None:
    connection = await asyncpg.connect(database_url)
    cache = SeriesIdCache()
    try:
        end = datetime.now(UTC)
        interval = SERIES_SPAN / SERIES_POINTS
        chunk = 10_000
        for first in range(0, SERIES_POINTS, chunk):
            points = [
                Point(
                    SERIES_METRIC,
                    end - (index + 1) * interval,
                    float(index % 1000),
                    f'{{"host": "h{index % 4}"}}',
                )
                for index in range(first, first + chunk)
            ]
            written = await write_points(connection, bench.project_id, points, cache)
            cache.add(written.series.items())
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


if __name__ == "__main__":
    main()
