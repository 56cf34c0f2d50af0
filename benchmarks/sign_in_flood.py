"""/health latency while clients flood the service with wrong sign-ins.

The service runs as `cloudmetrics serve` (one worker) on a scratch database. First /health is
timed alone; then again while CLIENTS threads send wrong sign-ins as fast as they are answered
(the attempt budgets are lifted, so every attempt reaches the password check or the hashing
pool's bound). Prints /health p50/p99/max in both phases and what the flood was answered.
Target: /health p99 during the flood <= 50 ms.

    .venv/bin/python -m benchmarks.sign_in_flood [--clients 8] [--seconds 10]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections import Counter

import httpx

from benchmarks.support.scratch import scratch_database
from tests.support.server import running_server


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    options = parser.parse_args()
    with scratch_database() as scratch:
        environment = scratch.server_environment(
            SIGN_IN_ATTEMPTS_PER_ACCOUNT="1000000", SIGN_IN_ATTEMPTS_PER_ADDRESS="1000000"
        )
        with running_server(environment, capture_output=False) as served:
            alone = _health_latencies(served.url, options.seconds)
            stop = threading.Event()
            answers: Counter[str] = Counter()
            flood = [
                threading.Thread(target=_flood, args=(served.url, n, stop, answers))
                for n in range(options.clients)
            ]
            for thread in flood:
                thread.start()
            time.sleep(1)  # the flood under way
            during = _health_latencies(served.url, options.seconds)
            stop.set()
            for thread in flood:
                thread.join()
    print(f"/health alone:             {_summary(alone)}")
    print(f"/health during the flood:  {_summary(during)}  ({options.clients} clients)")
    print(f"sign-in answers: {dict(answers)}")
    verdict = "met" if _p99(during) <= 50 else "NOT met"
    print(f"target p99 <= 50 ms during the flood: {verdict}")


def _health_latencies(url: str, seconds: float) -> list[float]:
    latencies: list[float] = []
    with httpx.Client(base_url=url, timeout=30) as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.perf_counter()
            client.get("/health").raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)
            time.sleep(0.02)
    return latencies


def _flood(url: str, n: int, stop: threading.Event, answers: Counter[str]) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        token = client.get("/auth/session").json()["csrfToken"]
        while not stop.is_set():
            answer = client.post(
                "/auth/sign-in",
                json={"email": f"victim{n}@bench.test", "password": "not the password!"},
                headers={"X-CSRFToken": token},
            )
            kind = answer.json().get("type", "").rsplit("/", 1)[-1] if answer.content else ""
            answers[f"{answer.status_code} {kind}".strip()] += 1


def _p99(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=100, method="inclusive")[98]


def _summary(latencies: list[float]) -> str:
    return (
        f"p50 {statistics.median(latencies):6.1f} ms  p99 {_p99(latencies):6.1f} ms  "
        f"max {max(latencies):6.1f} ms  (n={len(latencies)})"
    )


if __name__ == "__main__":
    main()
