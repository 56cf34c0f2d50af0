"""The real server process: start-up, the healthcheck command, and shutdown on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from tests.support.server import running_server


@pytest.fixture
def environment(database_url: str, redis_url: str) -> dict[str, str]:
    return {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "INFO"}


def test_serve_answers_health_and_ready(environment: dict[str, str]) -> None:
    with running_server({**environment, "RELEASE_ID": "0123abc"}) as served:
        health = httpx.get(f"{served.url}/health")
        ready = httpx.get(f"{served.url}/ready")

    assert health.status_code == 200
    assert health.json()["releaseId"] == "0123abc"
    assert ready.status_code == 200
    assert ready.json()["status"] == "pass"


def test_serve_runs_the_configured_number_of_workers(environment: dict[str, str]) -> None:
    # Each worker is a fresh interpreter importing the whole app: slow on a loaded machine.
    with running_server({**environment, "WEB_CONCURRENCY": "2"}) as served:
        answers = [httpx.get(f"{served.url}/health").status_code for _ in range(10)]
        children = subprocess.run(
            ["ps", "-o", "args=", "--ppid", str(served.process.pid)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.splitlines()

    assert answers == [200] * 10
    # Exactly the workers asked for: uvicorn spawns each one with multiprocessing; any other
    # child (multiprocessing's resource tracker) is not a worker.
    workers = [args for args in children if "multiprocessing.spawn" in args]
    assert len(workers) == 2, children


def test_healthcheck_command_exit_codes(environment: dict[str, str]) -> None:
    with running_server(environment) as served:
        url = served.url
        healthy = subprocess.run(
            [sys.executable, "-m", "cloudmetrics", "healthcheck", "--url", f"{url}/health"],
            capture_output=True,
            text=True,
            check=False,
        )
    # The server is gone now: the same command must report it.
    unhealthy = subprocess.run(
        [sys.executable, "-m", "cloudmetrics", "healthcheck", "--url", f"{url}/health"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert healthy.returncode == 0, healthy.stderr
    assert unhealthy.returncode == 1
    assert "did not answer" in unhealthy.stderr


def test_sigterm_lets_in_flight_requests_finish(environment: dict[str, str]) -> None:
    command = [sys.executable, "-m", "tests.support.slow_app"]
    with running_server(environment, command=command) as served:
        url, process = served.url, served.process
        results: dict[str, httpx.Response | Exception] = {}

        def slow_request() -> None:
            try:
                results["slow"] = httpx.get(f"{url}/test/slow", params={"seconds": 1.5}, timeout=10)
            except httpx.HTTPError as error:
                results["slow"] = error

        worker = threading.Thread(target=slow_request)
        worker.start()
        _wait_until_in_flight(url)
        process.send_signal(signal.SIGTERM)
        worker.join(timeout=10)
        exit_code = process.wait(timeout=15)

    response = results["slow"]
    assert isinstance(response, httpx.Response), response
    assert response.status_code == 200
    assert response.json() == {"slept": 1.5}
    # uvicorn finishes the shutdown, then re-raises SIGTERM so supervisors see why it stopped.
    assert exit_code in (0, -signal.SIGTERM)
    output = process.stdout.read().decode() if process.stdout else ""
    assert '"event": "stopped"' in output


def _wait_until_in_flight(url: str) -> None:
    deadline = time.monotonic() + 5
    while httpx.get(f"{url}/test/in-flight").json()["in_flight"] < 1:
        assert time.monotonic() < deadline, "the slow request never reached the server"
        time.sleep(0.02)
