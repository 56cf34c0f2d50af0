"""A VictoriaMetrics single node (Debian's `victoria-metrics`) on a free loopback port, with a
throwaway data directory: the peer the benchmarks measure the service beside."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Generator
from contextlib import contextmanager

from tests.support.ports import free_port
from tests.support.server import wait_until_answering

VICTORIA_PACKAGE = "victoria-metrics"
VICTORIA_BINARY = os.environ.get("BENCH_VICTORIA_METRICS", "victoria-metrics")


def victoria_version(binary: str) -> str:
    done = subprocess.run([binary, "-version"], capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).strip() or "unknown version"


@contextmanager
def victoria_server(binary: str) -> Generator[str]:
    with victoria_server_and_data(binary) as (base_url, _):
        yield base_url


@contextmanager
def victoria_server_and_data(binary: str) -> Generator[tuple[str, str]]:
    """The server's base URL and its data directory (whose size is what it stores)."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="cm-peer-vm-") as data:
        process = subprocess.Popen(
            [
                binary,
                f"-storageDataPath={data}",
                f"-httpListenAddr=127.0.0.1:{port}",
                "-retentionPeriod=1y",
                "-loggerLevel=ERROR",
                # The machine is shared: leave memory to PostgreSQL and the service.
                "-memory.allowedPercent=20",
            ],
            stdout=subprocess.DEVNULL,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_answering(f"{base_url}/health", process, timeout=60)
            yield base_url, data
        finally:
            process.terminate()
            process.wait(timeout=60)
