"""Prometheus remote write ingest: CloudMetrics beside VictoriaMetrics's own receiver.

Both servers get exactly the same request bodies (snappy-compressed WriteRequests, encoded
before any clock starts) on `/api/v1/write`, from the same number of concurrent clients (as a
Prometheus sends from several shards). The payload imitates a node_exporter fleet: SERIES
series of `node_*` metrics with instance, job, cpu/mode/device labels, one sample per series
per scrape, every request of `--samples` samples holding scrapes no other request holds (so
neither store takes the idempotent path for duplicates). Points/s is the samples of all
requests over the wall time from the first request to the last answer; the machine's load
average is printed beside the figures, which are meaningless without it.

    apt-get install -y victoria-metrics
    .venv/bin/python -m benchmarks.remote_write [--requests 200] [--samples 2000] [--clients 4]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import cramjam
import httpx

from benchmarks.support.scratch import scratch_database
from benchmarks.support.victoria import (
    VICTORIA_BINARY,
    VICTORIA_PACKAGE,
    victoria_server,
    victoria_version,
)
from cloudmetrics.protocols.prometheus import messages
from tests.support.server import app_command, running_server

SERIES = 2000
HEADERS = {
    "Content-Encoding": "snappy",
    "Content-Type": "application/x-protobuf",
    "X-Prometheus-Remote-Write-Version": "0.1.0",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="remote write requests")
    parser.add_argument("--samples", type=int, default=2000, help="samples per request")
    parser.add_argument("--clients", type=int, default=4, help="concurrent senders (shards)")
    options = parser.parse_args()
    binary = shutil.which(VICTORIA_BINARY)
    if binary is None:
        sys.exit(
            f"error: {VICTORIA_BINARY} is not installed. It comes with Debian's "
            f"{VICTORIA_PACKAGE!r} package: apt-get install -y {VICTORIA_PACKAGE}"
        )
    bodies = _bodies(options.requests, options.samples)
    total = options.requests * options.samples
    print(f"VictoriaMetrics: {victoria_version(binary)}")
    print(
        f"remote write: {options.requests} requests of {options.samples} samples "
        f"({total:,} samples, {sum(map(len, bodies)) / len(bodies) / 1024:.0f} KiB each on "
        f"average), {options.clients} clients"
    )
    print(f"load average before: {_load()}")
    ours = _measure_cloudmetrics(bodies, options.clients)
    print(f"load average between: {_load()}")
    theirs = _measure_victoria(binary, bodies, options.clients)
    print(f"load average after: {_load()}")
    print(f"  {'':<30}{'CloudMetrics':>14}{'Victoria':>14}{'ratio':>9}")
    print(
        f"  {'ingest, samples/s':<30}{total / ours:>14,.0f}{total / theirs:>14,.0f}"
        f"{theirs / ours:>8.2f}x"
    )


def _bodies(requests: int, samples: int, *, ending_seconds_ago: int = 60) -> list[bytes]:
    """Request bodies whose scrapes are one second apart and end ``ending_seconds_ago``."""
    scrapes_per_request = max(1, samples // SERIES)
    per_scrape = min(samples, SERIES)
    scrapes = requests * scrapes_per_request
    first_ms = (int(time.time()) - ending_seconds_ago - scrapes) * 1000
    labels = [_labels(index) for index in range(SERIES)]
    bodies: list[bytes] = []
    scrape = 0
    for request_index in range(requests):
        request: Any = messages.WriteRequest()
        for _ in range(scrapes_per_request):
            stamp = first_ms + scrape * 1000
            # Series rotate through the requests when a request holds fewer than all of them.
            offset = (request_index * per_scrape) % SERIES
            for index in range(per_scrape):
                series = request.timeseries.add()
                for name, value in labels[(offset + index) % SERIES]:
                    series.labels.add(name=name, value=value)
                series.samples.add(timestamp=stamp, value=float(scrape * 7 + index))
            scrape += 1
        bodies.append(bytes(cramjam.snappy.compress_raw(request.SerializeToString())))
    return bodies


def _warm_up_bodies() -> list[bytes]:
    # An hour before the measured scrapes: the same series, none of their timestamps.
    return _bodies(4, 2000, ending_seconds_ago=3 * 3600)


def _labels(index: int) -> list[tuple[str, str]]:
    host, kind = divmod(index, 20)
    metric = ("node_cpu_seconds_total", "node_network_receive_bytes_total", "node_load1")[kind % 3]
    return sorted(
        [
            ("__name__", metric),
            ("instance", f"host-{host:03d}:9100"),
            ("job", "node"),
            ("cpu" if kind % 3 == 0 else "device", str(kind)),
            ("mode", ("user", "system", "idle", "iowait")[kind % 4]),
        ]
    )


def _send_all(url: str, bodies: Sequence[bytes], clients: int, headers: dict[str, str]) -> float:
    """Wall seconds to send every body, ``clients`` at a time; any refusal aborts the run."""

    def send(chunk: Sequence[bytes]) -> None:
        with httpx.Client(timeout=120, headers=headers) as client:
            for body in chunk:
                answer = client.post(url, content=body)
                if answer.status_code not in (200, 204):
                    raise RuntimeError(f"{url} answered {answer.status_code}: {answer.text}")

    chunks = [bodies[index::clients] for index in range(clients)]
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for done in [pool.submit(send, chunk) for chunk in chunks]:
            done.result()
    return time.perf_counter() - started


def _measure_cloudmetrics(bodies: Sequence[bytes], clients: int) -> float:
    with scratch_database(prefix="cm_remote_write", project="bench") as scratch:
        environment = scratch.server_environment()
        subprocess.run(
            [sys.executable, "-m", "cloudmetrics", "prestart"],
            env={**os.environ, **environment},
            check=True,
        )
        with running_server(
            environment, command=app_command(), ready_path="/ready", capture_output=False
        ) as served:
            url = f"{served.url}/api/v1/write"
            headers = {**HEADERS, **scratch.headers}
            # Warm-up: series, connections and caches, on bodies of its own.
            _send_all(url, _warm_up_bodies(), 1, headers)
            return _send_all(url, bodies, clients, headers)


def _measure_victoria(binary: str, bodies: Sequence[bytes], clients: int) -> float:
    with victoria_server(binary) as base_url:
        url = f"{base_url}/api/v1/write"
        _send_all(url, _warm_up_bodies(), 1, HEADERS)
        return _send_all(url, bodies, clients, HEADERS)


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} cores"


if __name__ == "__main__":
    main()
