"""CloudMetrics beside VictoriaMetrics: the same points and the same query against both.

What a user would run instead of CloudMetrics is VictoriaMetrics (single node, Debian's
`victoria-metrics` package). This script starts both on loopback, each on throwaway storage (a
database it creates and drops; a temporary data directory), and runs two workloads:

- **one series** of N points spread evenly over 7 days (1M and 10M by default);
- **a fleet**: 10,000 series (hosts) x 100 points, a point per host every 15 s, each batch the
  same moment of 1,000 hosts, as node exporters scraped together would send (`--fleet-series`,
  `--fleet-points`; 0 series skips it). Values are gauges with two decimals.

For each it:

1. ingests the points over HTTP in batches of 1,000 points, one client: JSON on
   `POST /v1/metrics` for CloudMetrics, Influx line protocol on `/write` for VictoriaMetrics.
   Only the requests are timed: each body is encoded before its request, and client-side
   encoding is not either server's cost;
2. measures the bytes each stores per point once settled (benchmarks/support/stored_bytes.py):
   CloudMetrics' raw-point tables, rollups and series dictionary with their indexes, after
   `cloudmetrics maintain` has packed the closed hours; VictoriaMetrics' data directory after a
   flush;
3. for the one-series workload, times the 7-day hourly average of that series:
   `GET /v1/metrics/{name}/series?step=1h&agg=avg` for CloudMetrics, `query_range` of
   `avg_over_time(...[1h])` with `step=1h` and `nocache=1` (VictoriaMetrics' result cache off, as
   CloudMetrics caches no series) for VictoriaMetrics. The window is aligned on the hour, as
   dashboards align it on the step.

Each figure is printed with the ratio CloudMetrics / VictoriaMetrics. Targets (ADR 0014, and the
packed storage's ADR):
HTTP ingest >= 0.5x VictoriaMetrics on both workloads; stored bytes per point <= 3x; the weekly
query no slower than VictoriaMetrics, and at 10M points within 1.5x of its 1M time.

    apt-get install -y victoria-metrics
    .venv/bin/python -m benchmarks.peer [--sizes 1000000 10000000] [--queries 20] \
        [--fleet-series 10000] [--fleet-points 100]
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

from benchmarks.support.scratch import Scratch, analyze, scratch_database
from benchmarks.support.stored_bytes import StoredBytes, cloudmetrics_bytes, victoria_bytes
from benchmarks.support.victoria import (
    VICTORIA_BINARY,
    VICTORIA_PACKAGE,
    victoria_server_and_data,
    victoria_version,
)
from tests.support.server import app_command, running_server

BATCH_SIZE = 1000
SPAN = timedelta(days=7)
FLEET_INTERVAL = timedelta(seconds=15)
# Influx line protocol names the series measurement_field: `bench_peer,host=..., value=...`.
VICTORIA_SERIES = 'bench_peer_value{host="h1",region="eu-west-1"}'

# (series index, timestamp, value): one point as both stores are given it.
PeerPoint = tuple[int, datetime, float]


@dataclass(frozen=True)
class Workload:
    label: str
    size: int
    metric: str  # CloudMetrics' name; VictoriaMetrics' measurement is it with _ for .
    batches: Callable[[], Iterator[list[PeerPoint]]]
    tags: Callable[[int], dict[str, str]]
    # The weekly query is timed on the one-series workload only.
    queried: bool


def single_series(size: int, end: datetime) -> Workload:
    """One series of ``size`` points spread evenly over 7 days; integer values keep the
    averages of both stores comparable digit for digit."""

    def points() -> Iterator[PeerPoint]:
        interval = SPAN / size
        start = end - SPAN
        for index in range(size):
            yield 0, start + index * interval, float(index % 1000)

    return Workload(
        label=f"{size:,} points of one series over {SPAN.days} days",
        size=size,
        metric="bench.peer",
        batches=lambda: _chunked(points()),
        tags=lambda _: {"host": "h1", "region": "eu-west-1"},
        queried=True,
    )


def fleet(series: int, points: int, end: datetime) -> Workload:
    """``series`` hosts, a point each every 15 s, ending at ``end``; each batch is one moment
    of up to 1,000 hosts. Gauges with two decimals that wander, as CPU or memory figures do."""

    def generated() -> Iterator[PeerPoint]:
        start = end - points * FLEET_INTERVAL
        for step in range(points):
            moment = start + step * FLEET_INTERVAL
            for host in range(series):
                yield host, moment, ((host * 7919 + step * 104_729) % 10_000) / 100

    return Workload(
        label=f"a fleet: {series:,} series x {points} points, every 15 s",
        size=series * points,
        metric="bench.fleet",
        batches=lambda: _chunked(generated()),
        tags=lambda host: {"host": f"node-{host:05d}", "job": "node"},
        queried=False,
    )


def _chunked(points: Iterator[PeerPoint]) -> Iterator[list[PeerPoint]]:
    batch: list[PeerPoint] = []
    for point in points:
        batch.append(point)
        if len(batch) == BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


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
    bytes_per_point: float
    # None where the workload times no query.
    query_p50_ms: float | None
    query_p99_ms: float | None
    buckets: int
    detail: str = ""


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000_000, 10_000_000])
    parser.add_argument("--queries", type=int, default=20, help="timed queries per store")
    parser.add_argument("--fleet-series", type=int, default=10_000, help="0 skips the fleet")
    parser.add_argument("--fleet-points", type=int, default=100, help="points per fleet series")
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
    # accepted window, the query is aligned on its step, and every hour written is closed, so
    # maintenance packs all of it before the bytes are counted.
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    workloads = [single_series(size, end) for size in options.sizes]
    if options.fleet_series > 0:
        workloads.append(fleet(options.fleet_series, options.fleet_points, end))
    single: dict[int, Figures] = {}
    for workload in workloads:
        print(f"== {workload.label}")
        ours = _measure_cloudmetrics(workload, end, options.queries)
        theirs = _measure_victoria(binary, workload, end, options.queries)
        _report(ours, theirs)
        if workload.queried:
            single[workload.size] = ours
    if single:
        smallest = min(single)
        for size in sorted(single):
            first, this = single[smallest].query_p50_ms, single[size].query_p50_ms
            if size != smallest and first and this:
                print(
                    f"CloudMetrics query p50 at {size:,} points is {this / first:.2f}x its time "
                    f"at {smallest:,} (target <= 1.5x)"
                )


def _report(ours: Figures, theirs: Figures) -> None:
    print(f"  {'':<34}{'CloudMetrics':>14}{'Victoria':>14}{'ratio':>9}")
    ingest_ratio = ours.ingest_points_per_second / theirs.ingest_points_per_second
    print(
        f"  {'ingest, points/s (1 client)':<34}{ours.ingest_points_per_second:>14,.0f}"
        f"{theirs.ingest_points_per_second:>14,.0f}{ingest_ratio:>8.2f}x   target >= 0.5x"
    )
    print(
        f"  {'stored bytes per point':<34}{ours.bytes_per_point:>14.1f}"
        f"{theirs.bytes_per_point:>14.1f}"
        f"{ours.bytes_per_point / theirs.bytes_per_point:>8.2f}x   target <= 3x"
    )
    if ours.query_p50_ms and theirs.query_p50_ms and ours.query_p99_ms and theirs.query_p99_ms:
        for label, mine, peer in (
            ("7-day hourly avg, p50 ms", ours.query_p50_ms, theirs.query_p50_ms),
            ("7-day hourly avg, p99 ms", ours.query_p99_ms, theirs.query_p99_ms),
        ):
            print(f"  {label:<34}{mine:>14.1f}{peer:>14.1f}{mine / peer:>8.2f}x   target <= 1x")
        print(f"  {'buckets answered':<34}{ours.buckets:>14}{theirs.buckets:>14}")
    if ours.detail:
        print(f"  CloudMetrics bytes: {ours.detail}")


# CloudMetrics


def _measure_cloudmetrics(workload: Workload, end: datetime, queries: int) -> Figures:
    with scratch_database(prefix="cm_peer", project="peer") as scratch:
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
            seconds = _ingest(
                f"{served.url}/v1/metrics",
                workload.batches(),
                _service_body(workload),
                {**scratch.headers, "content-type": "application/json"},
                201,
            )
            # What the scheduled maintenance does next: pack the closed hours.
            subprocess.run(
                [sys.executable, "-m", "cloudmetrics", "maintain"],
                env={**os.environ, **environment},
                check=True,
                stdout=subprocess.DEVNULL,
            )
            stored = asyncio.run(cloudmetrics_bytes(scratch.url))
            # Statistics as autovacuum would leave them after a load this size.
            asyncio.run(analyze(scratch.url))
            timings: list[float] = []
            buckets = 0
            if workload.queried:
                timings, buckets = _time_cloudmetrics_query(
                    workload, scratch, served.url, end, queries
                )
    return _figures(
        workload.size, seconds, stored.total, timings, buckets, _detail(stored, workload)
    )


def _service_body(workload: Workload) -> Callable[[list[PeerPoint]], bytes]:
    encode = msgspec.json.Encoder().encode
    tags = {series: workload.tags(series) for series in range(1)}

    def body(batch: list[PeerPoint]) -> bytes:
        points: list[dict[str, object]] = []
        for series, moment, value in batch:
            if series not in tags:
                tags[series] = workload.tags(series)
            points.append(
                {"name": workload.metric, "timestamp": moment, "value": value, "tags": tags[series]}
            )
        return encode({"points": points})

    return body


def _time_cloudmetrics_query(
    workload: Workload, scratch: Scratch, base_url: str, end: datetime, queries: int
) -> tuple[list[float], int]:
    params = {
        "start": (end - SPAN).isoformat(),
        "end": end.isoformat(),
        "step": "1h",
        "agg": "avg",
        "tag": [f"{key}:{value}" for key, value in workload.tags(0).items()],
    }
    return _time_queries(
        f"{base_url}/v1/metrics/{workload.metric}/series",
        params,
        queries,
        lambda body: len(_service_answer.decode(body).points),
        scratch.headers,
    )


def _detail(stored: StoredBytes, workload: Workload) -> str:
    per_point = [part / workload.size for part in (stored.raw, stored.rollups, stored.dictionary)]
    return "raw points {:.1f}, rollups {:.1f}, series dictionary {:.1f} per point".format(
        *per_point
    )


# VictoriaMetrics


def _measure_victoria(binary: str, workload: Workload, end: datetime, queries: int) -> Figures:
    measurement = workload.metric.replace(".", "_")
    tags: dict[int, str] = {}

    def body(batch: list[PeerPoint]) -> bytes:
        lines: list[str] = []
        for series, moment, value in batch:
            if series not in tags:
                tags[series] = ",".join(f"{k}={v}" for k, v in workload.tags(series).items())
            lines.append(
                f"{measurement},{tags[series]} value={value} {int(moment.timestamp() * 1000)}"
            )
        return "\n".join(lines).encode()

    with victoria_server_and_data(binary) as (base_url, data):
        seconds = _ingest(
            f"{base_url}/write?precision=ms",
            workload.batches(),
            body,
            {"content-type": "text/plain"},
            204,
        )
        # Flushes what was just written (searchable now, on disk to be counted).
        stored = victoria_bytes(base_url, data)
        timings: list[float] = []
        count = 0
        if workload.queried:
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
    return _figures(workload.size, seconds, stored, timings, count)


# Shared


def _ingest(
    url: str,
    batches: Iterator[list[PeerPoint]],
    encode: Callable[[list[PeerPoint]], bytes],
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


def _figures(
    size: int,
    seconds: float,
    stored: int,
    timings: list[float],
    buckets: int,
    detail: str = "",
) -> Figures:
    if not timings:
        return Figures(size / seconds, stored / size, None, None, buckets, detail)
    p99 = timings[min(len(timings) - 1, round(0.99 * (len(timings) - 1)))]
    return Figures(size / seconds, stored / size, statistics.median(timings), p99, buckets, detail)


if __name__ == "__main__":
    main()
