"""A real server process for a benchmark: the service's own `run` (uvicorn, uvloop, httptools),
any app factory, on a free loopback port, with the time it took to answer its first probe."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from cloudmetrics.server import APP_FACTORY

REPOSITORY = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Served:
    url: str
    startup_seconds: float
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time (user and system) the server process has used so far. With one worker,
        uvicorn serves in this process: a figure that other load on the machine barely moves."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        # utime and stime are fields 14 and 15 of proc(5); 12 and 13 after the name is cut.
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def serve(
    environment: dict[str, str],
    *,
    app_factory: str = APP_FACTORY,
    python: str = sys.executable,
    ready_path: str = "/ready",
    timeout_seconds: float = 60,
) -> Generator[Served]:
    """Serve ``app_factory`` until the block ends; ready once ``ready_path`` answers 200."""
    port = free_port()
    code = (
        "from cloudmetrics.server import run; from cloudmetrics.settings import Settings; "
        f"run(Settings.from_environ(), app_factory={app_factory!r})"
    )
    env = {
        **os.environ,
        **environment,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        # The benchmarks' own support modules must import in the server process too.
        "PYTHONPATH": str(REPOSITORY),
    }
    started = time.perf_counter()
    process = subprocess.Popen([python, "-c", code], env=env, cwd=REPOSITORY)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url + ready_path, process, started + timeout_seconds)
        yield Served(url, time.perf_counter() - started, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


_handed_out: set[int] = set()


def free_port() -> int:
    """A loopback port nobody listens on, and never one this process handed out before: the
    OS may offer a port again once its probe socket is closed, and two servers started one
    after the other would then race for it."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def wait_until_ready(url: str, process: subprocess.Popen[bytes], deadline: float) -> None:
    """Poll ``url`` until it answers 200; fail if the process exits or ``deadline`` (a
    `time.perf_counter()` value) passes first."""
    with httpx.Client(timeout=1) as client:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode} before {url}")
            try:
                if client.get(url).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{url} did not answer 200 in time")
            time.sleep(0.005)
