"""The service as a real process (`cloudmetrics serve`, or any app factory under the same server)
on a free port, for end-to-end tests and benchmarks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Generator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from cloudmetrics.server import APP_FACTORY
from tests.support.ports import free_port

REPOSITORY = Path(__file__).resolve().parents[2]
SERVE = [sys.executable, "-m", "cloudmetrics", "serve"]


@dataclass(frozen=True)
class Served:
    url: str
    process: subprocess.Popen[bytes]
    startup_seconds: float
    """From starting the process to its first good answer on the ready path."""

    def cpu_seconds(self) -> float:
        """CPU time (user and system) the server process has used so far. With one worker,
        uvicorn serves in this process: a figure that other load on the machine barely moves."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        # utime and stime are fields 14 and 15 of proc(5); 12 and 13 after the name is cut.
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def app_command(app_factory: str = APP_FACTORY, *, python: str = sys.executable) -> list[str]:
    """What `cloudmetrics serve` runs (`cloudmetrics.server.run`: uvicorn, uvloop, httptools),
    serving ``app_factory`` instead of the service's own."""
    code = (
        "from cloudmetrics.server import run; from cloudmetrics.settings import Settings; "
        f"run(Settings.from_environ(), app_factory={app_factory!r})"
    )
    return [python, "-c", code]


@contextmanager
def running_server(
    environment: Mapping[str, str],
    *,
    command: list[str] | None = None,
    ready_path: str = "/health",
    # Starting is not what these tests measure: the deadline only tells "never starts" from
    # "slow on a machine busy with other runs" (a start has taken over 20 s there).
    startup_timeout: float = 60,
    capture_output: bool = True,
) -> Generator[Served]:
    """Start ``command`` (by default `cloudmetrics serve`) on a free port, wait until
    ``ready_path`` answers 200, stop it at the end (tests may signal the process themselves).

    ``capture_output`` keeps the server's output to show if it exits early; a server under
    sustained load (a benchmark's) must not capture, or its logs fill the pipe and stall it.
    """
    port = free_port()
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        # Support modules (test and benchmark apps) must import in the server's workers too.
        "PYTHONPATH": str(REPOSITORY),
        **environment,
    }
    output = subprocess.PIPE if capture_output else None
    started = time.perf_counter()
    process = subprocess.Popen(
        command or SERVE, env=env, cwd=REPOSITORY, stdout=output, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(url + ready_path, process, startup_timeout)
        yield Served(url, process, time.perf_counter() - started)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until_answering(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Poll ``url`` until it answers 200; fail with the process's output if it exits first, or
    once ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1) as client:
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                raise RuntimeError(f"{process.args!r} exited with {process.returncode}:\n{output}")
            try:
                if client.get(url).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer 200 within {timeout}s")
            time.sleep(0.01)
