"""One tenant's heavy queries against another tenant's everyday calls.

On a scratch database, tenant A gets one metric of SERIES series with points over the last
7 days (written through the API, so its budgets apply). The service runs as `cloudmetrics serve`
with its default budgets. Tenant B lists its metrics and writes small batches from two threads:
first alone, then while A runs HEAVY parallel 7-day queries at an unaligned step over its
metric. Prints B's p50/p99 and errors in both phases and what A's queries were answered.
Target: B's p99 under A's load within 2x its p99 alone, and no 5xx for B.

    .venv/bin/python -m benchmarks.noisy_tenant [--series 20000] [--heavy 24] [--seconds 15]
        [--no-query-budget]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from benchmarks.support.scratch import analyze, scratch_database
from cloudmetrics.identity.api_keys import create_key
from cloudmetrics.identity.projects import create_project
from tests.support.server import running_server

METRIC = "noisy.requests"
POINTS_PER_SERIES = 6
BATCH = 10_000


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--series", type=int, default=20_000)
    parser.add_argument("--heavy", type=int, default=24, help="A's parallel queries")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument(
        "--no-query-budget",
        action="store_true",
        help="lift the concurrent-query budget, to see what it protects B from",
    )
    options = parser.parse_args()
    with scratch_database(project="tenant-a") as scratch:
        quiet_key = asyncio.run(_second_tenant(scratch.url))
        concurrency = "100000" if options.no_query_budget else "4"
        environment = scratch.server_environment(
            NEW_SERIES_PER_MINUTE=str(options.series * 2),
            QUERY_CONCURRENCY_PER_PROJECT=concurrency,
        )
        with running_server(environment, capture_output=False) as served:
            loaded = _load_tenant_a(served.url, scratch.key, options.series)
            asyncio.run(analyze(scratch.url))
            alone, alone_errors = _tenant_b(served.url, quiet_key, options.seconds)
            stop = threading.Event()
            heavy_answers: Counter[str] = Counter()
            heavy = [
                threading.Thread(target=_heavy, args=(served.url, scratch.key, stop, heavy_answers))
                for _ in range(options.heavy)
            ]
            for thread in heavy:
                thread.start()
            time.sleep(1)
            during, during_errors = _tenant_b(served.url, quiet_key, options.seconds)
            stop.set()
            for thread in heavy:
                thread.join()
    print(f"tenant A: {loaded} points in {options.series} series of one metric over 7 days")
    print(f"tenant B alone:           {_summary(alone)}  errors {dict(alone_errors)}")
    print(f"tenant B under A's load:  {_summary(during)}  errors {dict(during_errors)}")
    print(f"tenant A's {options.heavy} parallel heavy queries were answered: {dict(heavy_answers)}")
    ratio = _p99(during) / _p99(alone)
    fives = sum(count for status, count in during_errors.items() if status >= 500)
    verdict = "met" if ratio <= 2 and fives == 0 else "NOT met"
    print(f"B p99 ratio {ratio:.2f}x, B 5xx {fives}: target (<= 2x, no 5xx) {verdict}")


async def _second_tenant(url: str) -> str:
    connection = await asyncpg.connect(url)
    try:
        project = await create_project(connection, "tenant-b")
        return (await create_key(connection, project.id, ["read", "write"])).text
    finally:
        await connection.close()


def _load_tenant_a(url: str, key: str, series: int) -> int:
    now = datetime.now(UTC)
    stamps = [
        (now - timedelta(days=6.9) + timedelta(days=6.8) * n / POINTS_PER_SERIES).isoformat()
        for n in range(POINTS_PER_SERIES)
    ]
    points = [
        {"name": METRIC, "value": float(s % 97), "timestamp": stamp, "tags": {"pod": f"p{s}"}}
        for stamp in stamps
        for s in range(series)
    ]
    with httpx.Client(base_url=url, timeout=120, headers={"Authorization": f"Bearer {key}"}) as c:
        for start in range(0, len(points), BATCH):
            c.post("/v1/metrics", json={"points": points[start : start + BATCH]}).raise_for_status()
    return len(points)


def _heavy(url: str, key: str, stop: threading.Event, answers: Counter[str]) -> None:
    end = datetime.now(UTC)
    params = {
        "start": (end - timedelta(days=7)).isoformat(),
        "end": end.isoformat(),
        "step": "61s",  # unaligned with the rollups: the raw points are read
        "agg": "avg",
    }
    with httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {key}"}) as c:
        while not stop.is_set():
            answer = c.get(f"/v1/metrics/{METRIC}/series", params=params)
            kind = answer.json().get("type", "").rsplit("/", 1)[-1] if answer.is_error else ""
            answers[f"{answer.status_code} {kind}".strip()] += 1
            if answer.status_code == 429:
                time.sleep(float(answer.headers.get("retry-after", "1")))


def _tenant_b(url: str, key: str, seconds: float) -> tuple[list[float], Counter[int]]:
    latencies: list[float] = []
    errors: Counter[int] = Counter()
    lock = threading.Lock()

    def work(kind: str) -> None:
        with httpx.Client(
            base_url=url, timeout=60, headers={"Authorization": f"Bearer {key}"}
        ) as c:
            deadline = time.monotonic() + seconds
            n = 0
            while time.monotonic() < deadline:
                n += 1
                started = time.perf_counter()
                if kind == "list":
                    answer = c.get("/v1/metrics")
                else:
                    point = {
                        "name": "quiet.jobs",
                        "value": float(n),
                        "timestamp": datetime.now(UTC).isoformat(),
                        "tags": {"host": "b"},
                    }
                    answer = c.post("/v1/metrics", json={"points": [point]})
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    if answer.status_code >= 400:
                        errors[answer.status_code] += 1
                time.sleep(0.02)

    threads = [threading.Thread(target=work, args=(kind,)) for kind in ("list", "write")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors


def _p99(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=100, method="inclusive")[98]


def _summary(latencies: list[float]) -> str:
    return (
        f"p50 {statistics.median(latencies):6.1f} ms  p99 {_p99(latencies):6.1f} ms  "
        f"(n={len(latencies)})"
    )


if __name__ == "__main__":
    main()
