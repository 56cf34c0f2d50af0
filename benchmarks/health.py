"""Throughput and latency of /health and /ready, and start-to-ready time, beside a bare app.

Both apps run under the same server (`cloudmetrics.server.run`: uvicorn, uvloop, httptools)
with the same worker count; the load comes from wrk in a second process. One server runs at a
time so they never compete for the two cores. Prints a table and the ratios:
targets are /health >= 0.9x the bare app's throughput and start-to-ready <= 1.5x.

    .venv/bin/python -m benchmarks.health [--duration 5] [--connections 32] [--rounds 3]

The servers run in a virtual environment built from requirements/runtime.txt alone (what the
image installs), not in the development one: dev-only packages change import times (redis-py,
for one, loads OpenTelemetry when it finds it installed).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import statistics
import subprocess
import sys
import uuid
from pathlib import Path

from benchmarks.support.scratch import ADMIN_URL, REDIS_URL, admin
from benchmarks.support.wrk import require_wrk, wrk
from tests.support.server import app_command, running_server

REPOSITORY = Path(__file__).resolve().parents[1]
RUNTIME_VENV = REPOSITORY / "build" / "bench-runtime-venv"
UV = REPOSITORY / ".tools" / "bin" / "uv"
SERVICE = "cloudmetrics.asgi:app_from_environment"
BARE = "benchmarks.support.bare_app:create"


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
    require_wrk("benchmarks/health.py")
    python = sys.executable if options.dev_environment else _runtime_python()

    database = f"cm_bench_{uuid.uuid4().hex[:8]}"
    database_url = ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"
    environment = {
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "WEB_CONCURRENCY": str(options.workers),
        "LOG_LEVEL": "WARNING",
    }
    _run_cli(python, ["prestart", "--create-database"], environment)
    try:
        results = _measure(options, environment, python)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
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
            with running_server(
                environment,
                command=app_command(factory, python=python),
                ready_path=paths[-1],
                capture_output=False,
            ) as served:
                add(f"{label} start-to-ready s", served.startup_seconds)
                for path in paths:
                    load = wrk(served.url + path, options.duration, options.connections)
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


def _run_cli(python: str, arguments: list[str], environment: dict[str, str]) -> None:
    subprocess.run(
        [python, "-m", "cloudmetrics", *arguments],
        env={**os.environ, **environment},
        check=True,
        cwd=REPOSITORY,
    )


if __name__ == "__main__":
    main()
