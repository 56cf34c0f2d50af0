"""Real Prometheus servers and a node_exporter for the protocol tests, each on a free loopback
port with storage of its own, stopped at the end."""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Callable, Generator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.support.debian_programs import ensure_program
from tests.support.ports import free_port

PROMETHEUS = Path("/usr/bin/prometheus")
NODE_EXPORTER = Path("/usr/bin/prometheus-node-exporter")


@dataclass(frozen=True)
class Prometheus:
    url: str
    process: subprocess.Popen[bytes]

    def query(self, expression: str, at: float) -> list[dict[str, Any]]:
        """An instant query's result vector (or scalar, as a one-element list)."""
        answer = httpx.get(
            f"{self.url}/api/v1/query",
            params={"query": expression, "time": f"{at:.3f}"},
            timeout=30,
        )
        body = answer.json()
        if body.get("status") != "success":
            raise AssertionError(f"{expression!r} failed on {self.url}: {body}")
        data = body["data"]
        return data["result"] if data["resultType"] == "vector" else [{"value": data["result"]}]

    def series(self, selector: str, start: float, end: float) -> list[dict[str, str]]:
        answer = httpx.get(
            f"{self.url}/api/v1/series",
            params={"match[]": selector, "start": f"{start:.3f}", "end": f"{end:.3f}"},
            timeout=30,
        )
        return answer.json()["data"]

    def metric_value(self, expression: str) -> float | None:
        """The value of a one-series expression now, or None when it has none."""
        result = self.query(expression, time.time())
        return float(result[0]["value"][1]) if result else None


@contextmanager
def running_prometheus(
    config: Callable[[str], Mapping[str, Any]], files: Mapping[str, str] | None = None
) -> Generator[Prometheus]:
    """A Prometheus on the configuration ``config`` makes from its own host:port (to scrape
    itself); ``files`` are written beside it (credentials)."""
    ensure_program(PROMETHEUS, "prometheus")
    with tempfile.TemporaryDirectory(prefix="cm-prometheus-") as directory:
        root = Path(directory)
        for name, content in (files or {}).items():
            (root / name).write_text(content)
            (root / name).chmod(0o600)
        port = free_port()
        (root / "prometheus.yml").write_text(yaml.safe_dump(dict(config(f"127.0.0.1:{port}"))))
        log = (root / "prometheus.log").open("wb")
        process = subprocess.Popen(
            [
                str(PROMETHEUS),
                f"--config.file={root / 'prometheus.yml'}",
                f"--storage.tsdb.path={root / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            cwd=root,
            stdout=log,
            stderr=subprocess.STDOUT,
            # A session of its own: no signal meant for the test process reaches it.
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(f"{url}/-/ready", process, root / "prometheus.log")
            yield Prometheus(url, process)
        finally:
            _stop(process)
            log.close()


@contextmanager
def running_node_exporter() -> Generator[str]:
    """A node_exporter with a handful of collectors (a few hundred series); yields host:port."""
    ensure_program(NODE_EXPORTER, "prometheus-node-exporter")
    port = free_port()
    process = subprocess.Popen(
        [
            str(NODE_EXPORTER),
            f"--web.listen-address=127.0.0.1:{port}",
            "--collector.disable-defaults",
            "--collector.cpu",
            "--collector.meminfo",
            "--collector.loadavg",
            "--collector.netdev",
            "--collector.stat",
            "--collector.time",
            "--collector.uname",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_ready(f"http://127.0.0.1:{port}/metrics", process, None)
        yield f"127.0.0.1:{port}"
    finally:
        _stop(process)


def _wait_ready(
    url: str, process: subprocess.Popen[bytes], log: Path | None, timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log.read_text()[-3000:] if log else ""
            raise RuntimeError(f"{url} exited with {process.returncode}:\n{output}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
