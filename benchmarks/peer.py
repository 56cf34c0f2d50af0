"""CloudMetrics beside VictoriaMetrics: the same points and the same query against both.

What a user would run instead of CloudMetrics is VictoriaMetrics (single node, Debian's
`victoria-metrics` package). This script starts both on loopback, each on throwaway storage (a
database it creates and drops; a temporary data directory), and for each size (1M and 10M points
by default):

1. ingests one series of N points spread evenly over 7 days, over HTTP, in batches of 1,000
   points, one client: JSON on `POST /v1/metrics` for CloudMetrics, Influx line protocol on
   `/write` for VictoriaMetrics. Only the requests are timed: each body is encoded before its
   request, and client-side encoding is not either server's cost;
2. times the 7-day hourly average of that series: `GET /v1/metrics/{name}/series?step=1h&agg=avg`
   for CloudMetrics, `query_range` of `avg_over_time(...[1h])` with `step=1h` and `nocache=1`
   (VictoriaMetrics' result cache off, as CloudMetrics caches no series) for VictoriaMetrics.
   The window is aligned on the hour, as dashboards align it on the step.

Each figure is printed with the ratio CloudMetrics / VictoriaMetrics. Targets (ADR 14): HTTP
ingest >= 0.5x VictoriaMetrics; the weekly query no slower than VictoriaMetrics; at 10M points the
query within 1.5x of its 1M time.

    apt-get install -y victoria-metrics
    .venv/bin/python -m benchmarks.peer [--sizes 1000000 10000000] [--queries 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import msgspec

from benchmarks.support.scratch import analyze, scratch_database
from benchmarks.support.victoria import (
    VICTORIA_BINARY,
    VICTORIA_PACKAGE,
    victoria_server,
    victoria_version,
)
from tests.support.server import app_command, running_server

BATCH_SIZE = 1000
SPAN = timedelta(days=7)
METRIC = "bench.peer"
TAGS = {"host": "h1", "region": "eu-west-1"}
# Influx line protocol names the series measurement_field: `bench_peer,host=..., value=...`.
VICTORIA_SERIES = 'bench_peer_value{host="h1",region="eu-west-1"}'


class _ServiceAnswer(msgspec.Struct):
    points: list[object]


class _VictoriaSeries(msgspec.Struct):
    values: list[object]


class _VictoriaData(msgspec.Struct):
    result: list[_VictoriaSeries]


class _VictoriaAnswer(msgspec.Struct):
    data: _VictoriaData


_service_answer = msgspec.json.Decoder(_ServiceAnswer)
_victoria_answer = msgspec.json.Decoder(_VictoriaAnswer)


def _victoria_buckets(body: bytes) -> int:
    result = _victoria_answer.decode(body).data.result
    return len(result[0].values) if result else 0


@dataclass(frozen=True)
class Figures:
    ingest_points_per_second: float
    query_p50_ms: float
    query_p99_ms: float
    buckets: int


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--queries", type=int, default=20, help="timed queries per store")
    options = parser.parse_args()
    binary = shutil.which(VICTORIA_BINARY)
    if binary is None:
        sys.exit(
            f"error: {VICTORIA_BINARY} is not installed. It comes with Debian's "
            f"{VICTORIA_PACKAGE!r} package: apt-get install -y {VICTORIA_PACKAGE} "
            "(or set BENCH_VICTORIA_METRICS to the binary's path)"
        )
    print(f"VictoriaMetrics: {victoria_version(binary)}")
    # The end of the window is the last whole hour: points must fall within the service's
    # accepted window, and the query is aligned on its step.
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    results: dict[int, tuple[Figures, Figures]] = {}
    for size in options.sizes:
        print(f"== {size:,} points of one series over {SPAN.days} days")
        ours = _measure_cloudmetrics(size, end, options.queries)
        theirs = _measure_victoria(binary, size, end, options.queries)
        results[size] = (ours, theirs)
        _report(ours, theirs)
    smallest = min(results)
    for size in sorted(results):
        if size != smallest:
            growth = results[size][0].query_p50_ms / results[smallest][0].query_p50_ms
            print(
                f"CloudMetrics query p50 at {size:,} points is {growth:.2f}x its time at "
                f"{smallest:,} (target <= 1.5x)"
            )


def _report(ours: Figures, theirs: Figures) -> None:
    print(f"  {'':<34}{'CloudMetrics':>14}{'Victoria':>14}{'ratio':>9}")
    ingest_ratio = ours.ingest_points_per_second / theirs.ingest_points_per_second
    print(
        f"  {'ingest, points/s (1 client)':<34}{ours.ingest_points_per_second:>14,.0f}"
        f"{theirs.ingest_points_per_second:>14,.0f}{ingest_ratio:>8.2f}x   target >= 0.5x"
    )
    for label, mine, peer in (
        ("7-day hourly avg, p50 ms", ours.query_p50_ms, theirs.query_p50_ms),
        ("7-day hourly avg, p99 ms", ours.query_p99_ms, theirs.query_p99_ms),
    ):
        print(f"  {label:<34}{mine:>14.1f}{peer:>14.1f}{mine / peer:>8.2f}x   target <= 1x")
    print(f"  {'buckets answered':<34}{ours.buckets:>14}{theirs.buckets:>14}")


def _timestamps(size: int, end: datetime) -> Iterator[tuple[int, datetime, float]]:
    """(index, timestamp, value) of every point, oldest first; integer values keep the averages
    of both stores comparable digit for digit."""
    interval = SPAN / size
    start = end - SPAN
    for index in range(size):
        yield index, start + index * interval, float(index % 1000)


def _batches(size: int, end: datetime) -> Iterator[list[tuple[int, datetime, float]]]:
    batch: list[tuple[int, datetime, float]] = []
    for item in _timestamps(size, end):
        batch.append(item)
        if len(batch) == BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


# CloudMetrics


def _measure_cloudmetrics(size: int, end: datetime, queries: int) -> Figures:
    with scratch_database(prefix="cm_peer", project="peer") as scratch:
        headers = scratch.headers
        environment = scratch.server_environment(
            # The oldest point is 7 days old when the run starts, older by the end of it.
            INGEST_PAST_WINDOW=str(int((SPAN + timedelta(days=1)).total_seconds())),
        )
        # prestart does what a deploy does before serving: migrations, then storage maintenance.
        subprocess.run(
            [sys.executable, "-m", "cloudmetrics", "prestart"],
            env={**os.environ, **environment},
            check=True,
        )
        with running_server(
            environment,
            command=app_command(),
            ready_path="/ready",
            capture_output=False,
        ) as served:
            base_url = served.url
            encode = msgspec.json.Encoder().encode

            def body(batch: list[tuple[int, datetime, float]]) -> bytes:
                return encode(
                    {
                        "points": [
                            {"name": METRIC, "timestamp": moment, "value": value, "tags": TAGS}
                            for _, moment, value in batch
                        ]
                    }
                )

            seconds = _ingest(
                f"{base_url}/v1/metrics",
                _batches(size, end),
                body,
                {**headers, "content-type": "application/json"},
                201,
            )
            # Statistics as autovacuum would leave them after a load this size.
            asyncio.run(analyze(scratch.url))
            params = {
                "start": (end - SPAN).isoformat(),
                "end": end.isoformat(),
                "step": "1h",
                "agg": "avg",
                "tag": [f"{key}:{value}" for key, value in TAGS.items()],
            }
            timings, buckets = _time_queries(
                f"{base_url}/v1/metrics/{METRIC}/series",
                params,
                queries,
                lambda body: len(_service_answer.decode(body).points),
                headers,
            )
    return _figures(size, seconds, timings, buckets)


# VictoriaMetrics


def _measure_victoria(binary: str, size: int, end: datetime, queries: int) -> Figures:
    with victoria_server(binary) as base_url:

        def body(batch: list[tuple[int, datetime, float]]) -> bytes:
            lines = [
                f"bench_peer,host=h1,region=eu-west-1 value={value} "
                f"{int(moment.timestamp() * 1000)}"
                for _, moment, value in batch
            ]
            return "\n".join(lines).encode()

        seconds = _ingest(
            f"{base_url}/write?precision=ms",
            _batches(size, end),
            body,
            {"content-type": "text/plain"},
            204,
        )
        # Make what was just written searchable now rather than after the flush interval.
        httpx.get(f"{base_url}/internal/force_flush", timeout=60).raise_for_status()
        # query_range evaluates at t over (t - 1h, t]: end points of each hourly bucket.
        params = {
            "query": f"avg_over_time({VICTORIA_SERIES}[1h])",
            "start": str(int((end - SPAN + timedelta(hours=1)).timestamp())),
            "end": str(int(end.timestamp())),
            "step": "1h",
            "nocache": "1",
        }

        timings, count = _time_queries(
            f"{base_url}/api/v1/query_range", params, queries, _victoria_buckets
        )
    return _figures(size, seconds, timings, count)


# Shared


def _ingest(
    url: str,
    batches: Iterator[list[tuple[int, datetime, float]]],
    encode: Callable[[list[tuple[int, datetime, float]]], bytes],
    headers: Mapping[str, str],
    expected_status: int,
) -> float:
    """Seconds spent in requests, one client, one batch per request."""
    spent = 0.0
    with httpx.Client(timeout=120) as client:
        for batch in batches:
            content = encode(batch)
            started = time.perf_counter()
            response = client.post(url, content=content, headers=dict(headers))
            spent += time.perf_counter() - started
            if response.status_code != expected_status:
                raise RuntimeError(f"{url} answered {response.status_code}: {response.text}")
    return spent


def _time_queries(
    url: str,
    params: Mapping[str, str | list[str]],
    queries: int,
    count_buckets: Callable[[bytes], int],
    headers: Mapping[str, str] | None = None,
) -> tuple[list[float], int]:
    timings: list[float] = []
    buckets = 0
    with httpx.Client(timeout=120, headers=dict(headers or {})) as client:
        for _ in range(queries + 3):
            started = time.perf_counter()
            response = client.get(url, params=params)
            timings.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            buckets = count_buckets(response.content)
    return sorted(timings[3:]), buckets  # the first few warm plans and caches


def _figures(size: int, seconds: float, timings: list[float], buckets: int) -> Figures:
    p99 = timings[min(len(timings) - 1, round(0.99 * (len(timings) - 1)))]
    return Figures(size / seconds, statistics.median(timings), p99, buckets)


if __name__ == "__main__":
    main()
