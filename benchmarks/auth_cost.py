"""What authenticating an API key costs: the service beside itself with authentication removed.

Two servers run the same code against one database it creates and drops. One is the service as
shipped: every /v1 request carries `Authorization: Bearer <key>`, and the key's lookup is cached
per process (IDENTITY_KEY_CACHE_TTL). The other is `benchmarks/support/keyless_app.py`: the same
app whose authenticator hands every request the project's principal without reading a header or
a table. The rest (middleware, rate limiting with the limit off, handlers, storage) is shared,
so the ratio of the two is the cost of authentication alone. The servers take turns, in
alternating order, so a burst of load from elsewhere hits both alike.

Three shapes of /v1 traffic, and /health as a control that authentication never touches:

- ingest of 1,000-point batches (the ingest benchmark's shape), from concurrent HTTP clients;
- ingest of one point per request, from wrk: the shape where a per-request cost shows most;
- `GET /v1/metrics` (the catalogue, cached), from wrk.

Two figures per shape: throughput (what a client sees, but moved by any other load on the
machine) and the server process's CPU time per request (read from /proc: other load barely moves
it). The ratio is keyless/keyed for CPU, keyed/keyless for throughput, so >= 0.95 means at most 5%
dearer either way. Target: every /v1 CPU ratio >= 0.95, judged on CPU because a single worker's
throughput is its CPU per request, and CPU is the figure a shared machine leaves alone; /health is
the control, about 1.0.

    .venv/bin/python -m benchmarks.auth_cost [--rounds 5] [--duration 5] [--batches 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from benchmarks.support.scratch import Scratch, scratch_database
from benchmarks.support.wrk import require_wrk, wrk
from tests.support.server import Served, app_command, running_server

SINGLE_POINT_SCRIPT = Path(__file__).resolve().parent / "support" / "single_point.lua"
KEYLESS_FACTORY = "benchmarks.support.keyless_app:create"
BATCH_SIZE = 1000
CONNECTIONS = 16
TARGET = 0.95
# Microseconds of timestamp space each wrk run may use: far more than one run writes.
COUNTER_STRIDE = 100_000_000


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="turns of each server per shape")
    parser.add_argument("--duration", type=int, default=5, help="seconds of each wrk run")
    parser.add_argument("--batches", type=int, default=30, help="1,000-point batches per turn")
    parser.add_argument("--clients", type=int, default=4, help="concurrent batch clients")
    options = parser.parse_args()
    require_wrk("benchmarks/auth_cost.py")

    with scratch_database() as scratch:
        environment = scratch.server_environment(BENCH_PROJECT_ID=str(scratch.project_id))
        with (
            running_server(
                environment,
                command=app_command(),
                ready_path="/ready",
                capture_output=False,
            ) as keyed,
            running_server(
                environment,
                command=app_command(KEYLESS_FACTORY),
                ready_path="/ready",
                capture_output=False,
            ) as keyless,
        ):
            _prove_keyless_is_keyless(keyed, keyless)
            results = _measure(options, scratch, keyed, keyless)
    _report(options, results)


def _prove_keyless_is_keyless(keyed: Served, keyless: Served) -> None:
    """The comparison means something only if one server checks keys and the other does not."""
    keyed_status = httpx.get(f"{keyed.url}/v1/metrics").status_code
    keyless_status = httpx.get(f"{keyless.url}/v1/metrics").status_code
    if (keyed_status, keyless_status) != (401, 200):
        raise RuntimeError(
            f"expected 401 from the service and 200 from the keyless app without a key, "
            f"got {keyed_status} and {keyless_status}"
        )


@dataclass(frozen=True)
class Turn:
    """One server's turn at one shape: how many requests, at what rate (per second)."""

    requests: int
    rate: float


@dataclass(frozen=True)
class Figures:
    rate: float
    cpu_us_per_request: float


Shape = Callable[[Served, dict[str, str]], Turn]


def _measure(
    options: argparse.Namespace, scratch: Scratch, keyed: Served, keyless: Served
) -> dict[str, dict[str, list[Figures]]]:
    counters = iter(range(1, 10_000))
    base_epoch = int((datetime.now(UTC) - timedelta(hours=2)).timestamp())
    batches = _batch_bodies(base_epoch)

    def batch_ingest(server: Served, headers: dict[str, str]) -> Turn:
        bodies = [next(batches) for _ in range(options.batches)]
        seconds = asyncio.run(_post_all(server.url, bodies, headers, options.clients))
        return Turn(options.batches, options.batches * BATCH_SIZE / seconds)

    def single_point_ingest(server: Served, headers: dict[str, str]) -> Turn:
        environment = {
            "BENCH_BASE_EPOCH": str(base_epoch + 3600),
            "BENCH_COUNTER_START": str(next(counters) * COUNTER_STRIDE),
        }
        load = wrk(
            f"{server.url}/v1/metrics",
            options.duration,
            CONNECTIONS,
            headers=headers,
            lua_script=SINGLE_POINT_SCRIPT,
            environment=environment,
        )
        return Turn(load.requests, load.requests_per_second)

    def catalogue(server: Served, headers: dict[str, str]) -> Turn:
        load = wrk(f"{server.url}/v1/metrics", options.duration, CONNECTIONS, headers=headers)
        return Turn(load.requests, load.requests_per_second)

    def health(server: Served, headers: dict[str, str]) -> Turn:
        load = wrk(f"{server.url}/health", options.duration, CONNECTIONS)
        return Turn(load.requests, load.requests_per_second)

    shapes: dict[str, Shape] = {
        "ingest, 1,000-point batches, points/s": batch_ingest,
        "ingest, 1 point per request, req/s": single_point_ingest,
        "GET /v1/metrics, req/s": catalogue,
        "/health (control), req/s": health,
    }
    no_headers: dict[str, str] = {}
    servers = {"keyed": (keyed, scratch.headers), "keyless": (keyless, no_headers)}
    results: dict[str, dict[str, list[Figures]]] = {name: {} for name in shapes}
    for name, shape in shapes.items():
        # One untimed turn each: caches, prepared statements and the key lookup warm.
        for server, headers in servers.values():
            shape(server, headers)
        for round_index in range(options.rounds):
            order = list(servers) if round_index % 2 == 0 else list(reversed(servers))
            for label in order:
                server, headers = servers[label]
                cpu_before = server.cpu_seconds()
                turn = shape(server, headers)
                cpu_used = server.cpu_seconds() - cpu_before
                if cpu_used <= 0:
                    raise RuntimeError(
                        f"the {label} server used no CPU for {turn.requests} requests: "
                        "another process answers on its port"
                    )
                cpu_us = cpu_used / turn.requests * 1e6
                results[name].setdefault(label, []).append(Figures(turn.rate, cpu_us))
    return results


def _batch_bodies(base_epoch: int) -> Iterator[bytes]:
    """Request bodies of 1,000 points over 20 metrics and 10 hosts, every timestamp new."""
    base = datetime.fromtimestamp(base_epoch, UTC)
    for batch in range(1_000_000):
        moment = base + timedelta(milliseconds=batch * BATCH_SIZE)
        points = [
            {
                "name": f"bench.metric.{offset % 20}",
                "timestamp": (moment + timedelta(milliseconds=offset)).isoformat(),
                "value": float(offset),
                "tags": {"host": f"h{offset % 10}"},
            }
            for offset in range(BATCH_SIZE)
        ]
        yield json.dumps({"points": points}).encode()


async def _post_all(url: str, bodies: list[bytes], headers: dict[str, str], clients: int) -> float:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            response = await client.post("/v1/metrics", content=queue.get_nowait())
            if response.status_code != 201:
                raise RuntimeError(f"ingest answered {response.status_code}: {response.text}")

    async with httpx.AsyncClient(
        base_url=url,
        timeout=60,
        limits=httpx.Limits(max_connections=clients),
        headers={**headers, "content-type": "application/json"},
    ) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        return time.perf_counter() - started


def _report(options: argparse.Namespace, results: dict[str, dict[str, list[Figures]]]) -> None:
    print(
        f"median of {options.rounds} turns each; wrk runs of {options.duration}s at "
        f"{CONNECTIONS} connections; batches from {options.clients} clients; 1 worker"
    )
    print(
        f"  {'':<40}{'rate, key':>11}{'keyless':>9}{'ratio':>7}"
        f"{'CPU us/req, key':>17}{'keyless':>9}{'ratio':>7}"
    )
    for name, by_server in results.items():
        keyed, keyless = _median(by_server["keyed"]), _median(by_server["keyless"])
        rate_ratio = keyed.rate / keyless.rate
        cpu_ratio = keyless.cpu_us_per_request / keyed.cpu_us_per_request
        verdict = ""
        if not name.startswith("/health"):
            verdict = "  met" if cpu_ratio >= TARGET else "  MISSED"
        print(
            f"  {name:<40}{keyed.rate:>11,.0f}{keyless.rate:>9,.0f}{rate_ratio:>7.2f}"
            f"{keyed.cpu_us_per_request:>17,.0f}{keyless.cpu_us_per_request:>9,.0f}"
            f"{cpu_ratio:>7.2f}{verdict}"
        )
    print(f"target: every /v1 CPU ratio >= {TARGET}; /health is the control (about 1.00)")


def _median(turns: list[Figures]) -> Figures:
    return Figures(
        statistics.median(turn.rate for turn in turns),
        statistics.median(turn.cpu_us_per_request for turn in turns),
    )


if __name__ == "__main__":
    main()
