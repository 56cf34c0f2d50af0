"""Running the service as a real process (`cloudmetrics serve`) for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Generator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

REPOSITORY = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(
    environment: Mapping[str, str],
    *,
    command: list[str] | None = None,
    ready_path: str = "/health",
    startup_timeout: float = 20,
) -> Generator[tuple[str, subprocess.Popen[bytes]]]:
    """Start the server on a free port, wait until it answers, stop it at the end.

    Yields the base URL and the process (tests may signal it themselves).
    """
    port = free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), **environment}
    argv = command or [sys.executable, "-m", "cloudmetrics", "serve"]
    process = subprocess.Popen(
        argv, env=env, cwd=REPOSITORY, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(base_url + ready_path, process, startup_timeout)
        yield base_url, process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_answering(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            raise RuntimeError(f"server exited with {process.returncode}:\n{output}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server did not answer {url} within {timeout}s")
