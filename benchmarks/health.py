"""Throughput and latency of /health and /ready, and start-to-ready time, beside a bare app.

Both apps run under the same server (`cloudmetrics.server.run`: uvicorn, uvloop, httptools)
with the same worker count; the load comes from wrk in a second process. One server runs at a
time so they never compete for the two cores. Prints a table and the ratios:
targets are /health >= 0.9x the bare app's throughput and start-to-ready <= 1.5x.

    .venv/bin/python benchmarks/health.py [--duration 5] [--connections 32] [--rounds 3]

The servers run in a virtual environment built from requirements/runtime.txt alone (what the
image installs), not in the development one: dev-only packages change import times (redis-py,
for one, loads OpenTelemetry when it finds it installed).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

REPOSITORY = Path(__file__).resolve().parents[1]
RUNTIME_VENV = REPOSITORY / "build" / "bench-runtime-venv"
UV = REPOSITORY / ".tools" / "bin" / "uv"
ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SERVICE = "cloudmetrics.asgi:app_from_environment"
BARE = "benchmarks.support.bare_app:create"


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--dev-environment",
        action="store_true",
        help="run the servers in the development environment instead of a runtime-only one",
    )
    options = parser.parse_args()
    # Before anything slow (the runtime environment, a database): say at once what is missing.
    if shutil.which("wrk") is None:
        sys.exit(
            "benchmarks/health.py needs wrk, the HTTP load generator, on PATH: "
            "install it (Debian/Ubuntu: apt-get install -y wrk) and run again"
        )
    python = sys.executable if options.dev_environment else _runtime_python()

    database = f"cm_bench_{uuid.uuid4().hex[:8]}"
    database_url = ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"
    environment = {
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "WEB_CONCURRENCY": str(options.workers),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(REPOSITORY),
    }
    _run_cli(python, ["prestart", "--create-database"], environment)
    try:
        results = _measure(options, environment, python)
    finally:
        asyncio.run(_drop(database))
    _report(results, options)


def _runtime_python() -> str:
    """A virtual environment with exactly the image's packages (built once, then reused)."""
    python = RUNTIME_VENV / "bin" / "python"
    if not python.exists():
        if not UV.exists():
            sys.exit("uv is missing: run `make install` first")
        env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
        run = functools.partial(subprocess.run, check=True, env=env, cwd=REPOSITORY)
        run([str(UV), "venv", "--quiet", "--python", sys.executable, str(RUNTIME_VENV)])
        target = ["--python", str(python)]
        run([str(UV), "pip", "sync", "--quiet", *target, "requirements/runtime.txt"])
        run([str(UV), "pip", "install", "--quiet", "--no-deps", *target, "-e", "."])
    return str(python)


def _measure(
    options: argparse.Namespace, environment: dict[str, str], python: str
) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        results.setdefault(key, []).append(value)

    for _ in range(options.rounds):
        for label, factory, paths in (
            ("bare", BARE, ["/health"]),
            ("service", SERVICE, ["/health", "/ready"]),
        ):
            with _server(python, factory, environment, paths[-1]) as (url, startup_seconds):
                add(f"{label} start-to-ready s", startup_seconds)
                for path in paths:
                    load = _wrk(url + path, options.duration, options.connections)
                    key = f"{label} {path}"
                    add(f"{key} req/s", load.requests_per_second)
                    add(f"{key} p50 ms", load.p50_ms)
                    add(f"{key} p99 ms", load.p99_ms)
    return results


def _report(results: dict[str, list[float]], options: argparse.Namespace) -> None:
    median = {key: statistics.median(values) for key, values in results.items()}
    print(
        f"median of {options.rounds} rounds, {options.duration}s of load each, "
        f"{options.connections} connections, {options.workers} worker(s)"
    )
    for key, value in median.items():
        print(f"  {key:<32} {value:>10.3f}")
    health_ratio = median["service /health req/s"] / median["bare /health req/s"]
    ready_ratio = median["service /ready req/s"] / median["bare /health req/s"]
    startup_ratio = median["service start-to-ready s"] / median["bare start-to-ready s"]
    print(f"/health throughput vs bare app : {health_ratio:.2f}x (target >= 0.90)")
    print(f"/ready throughput vs bare app  : {ready_ratio:.2f}x (no target: it probes 3 checks)")
    print(f"start-to-ready vs bare app     : {startup_ratio:.2f}x (target <= 1.50)")


@contextmanager
def _server(
    python: str, factory: str, environment: dict[str, str], ready_path: str
) -> Generator[tuple[str, float]]:
    """Start a server and measure the time until ``ready_path`` first answers 200."""
    port = _free_port()
    code = (
        "from cloudmetrics.server import run; from cloudmetrics.settings import Settings; "
        f"run(Settings.from_environ(), app_factory={factory!r})"
    )
    env = {**os.environ, **environment, "HOST": "127.0.0.1", "PORT": str(port)}
    started = time.perf_counter()
    process = subprocess.Popen([python, "-c", code], env=env, cwd=REPOSITORY)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(timeout=1) as client:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"{factory} exited with {process.returncode}")
                try:
                    if client.get(url + ready_path).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.005)
        yield url, time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=30)


_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
_PERCENTILE = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk(url: str, duration: int, connections: int) -> Load:
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"{url} answered errors under load:\n{output}")
    rate = _RATE.search(output)
    percentiles = {p: float(v) * _UNIT_MS[u] for p, v, u in _PERCENTILE.findall(output)}
    if rate is None or set(percentiles) != {"50", "99"}:
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    return Load(float(rate.group(1)), percentiles["50"], percentiles["99"])


def _run_cli(python: str, arguments: list[str], environment: dict[str, str]) -> None:
    subprocess.run(
        [python, "-m", "cloudmetrics", *arguments],
        env={**os.environ, **environment},
        check=True,
        cwd=REPOSITORY,
    )


async def _drop(database: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await connection.close()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    main()
