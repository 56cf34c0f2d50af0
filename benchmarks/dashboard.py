"""The dashboard's budgets: server render time of a metric page, first-load bytes, and LCP.

Against a database it creates and drops, one metric gets a day of points every 30 s. The
service runs in this process (uvicorn, one worker) on loopback, and:

1. `GET /metrics/{name}?range=...` is timed over loopback for each range preset (p50, p99):
   the server's query, bucketing, SVG and template, plus a loopback round trip;
2. headless Chromium (Debian's) opens the page with an empty cache: the bytes transferred
   (compressed, headers included, from Resource Timing) for the page and everything it loads,
   and the largest contentful paint. Aims: first load < 150 KB, LCP < 500 ms.

Who is signed in does not matter here: every request is treated as the project's owner, so the
figures are the page's own cost, not the session lookup's.

    .venv/bin/python -m benchmarks.dashboard [--requests 200] [--loads 5]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import uvicorn
from litestar import Request
from playwright.sync_api import sync_playwright

from benchmarks.support.scratch import REDIS_URL, scratch_database
from cloudmetrics.app import create_app
from cloudmetrics.dashboard.accounts import Viewer
from cloudmetrics.dashboard.session_accounts import SessionAccounts
from cloudmetrics.settings import CacheSettings, DatabaseSettings, LogSettings, Settings
from tests.support.chromium import LAUNCH_ARGS, ensure_chromium

METRIC = "bench.cpu.load"
SPAN = timedelta(days=1)
INTERVAL = timedelta(seconds=30)
FIRST_LOAD_BUDGET = 150 * 1024
LCP_BUDGET_MS = 500.0

_MEASURE_LOAD = """
async () => {
  const lcp = await new Promise((resolve) => {
    let last = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) last = entry.startTime;
    }).observe({ type: "largest-contentful-paint", buffered: true });
    setTimeout(() => resolve(last), 300);
  });
  const entries = [
    ...performance.getEntriesByType("navigation"),
    ...performance.getEntriesByType("resource"),
  ];
  return {
    lcp,
    bytes: entries.reduce((sum, entry) => sum + entry.transferSize, 0),
    files: entries.map((entry) => [entry.name, entry.transferSize]),
  };
}
"""


class EveryoneIsTheOwner(SessionAccounts):
    def __init__(self, project_id: int) -> None:
        self.owner = Viewer(
            email="bench@example.com", project_id=project_id, project_name="bench", is_owner=True
        )

    async def viewer(self, request: Request[Any, Any, Any]) -> Viewer | None:
        return self.owner


def ingest(url: str, key: str) -> int:
    now = datetime.now(UTC)
    moments = [now - INTERVAL * step for step in range(int(SPAN / INTERVAL))]
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(timeout=60) as client:
        for start in range(0, len(moments), 2000):
            batch: list[dict[str, Any]] = [
                {
                    "name": METRIC,
                    "timestamp": moment.isoformat(),
                    "value": index % 97 / 10,
                    "tags": {},
                }
                for index, moment in enumerate(moments[start : start + 2000], start)
            ]
            client.post(
                f"{url}/v1/metrics", json={"points": batch}, headers=headers
            ).raise_for_status()
    return len(moments)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def time_renders(url: str, requests: int) -> None:
    print(f"server render of /metrics/{METRIC} over loopback ({requests} requests each):")
    with httpx.Client(timeout=30) as client:
        for preset in ("1h", "24h", "7d"):
            page = f"{url}/metrics/{METRIC}?range={preset}"
            client.get(page).raise_for_status()  # warm: pool, caches, templates
            samples: list[float] = []
            for _ in range(requests):
                started = time.perf_counter()
                client.get(page).raise_for_status()
                samples.append((time.perf_counter() - started) * 1000)
            print(
                f"  range={preset:>3}: p50 {statistics.median(samples):6.2f} ms, "
                f"p99 {percentile(samples, 0.99):6.2f} ms"
            )


def measure_loads(url: str, loads: int) -> None:
    page_url = f"{url}/metrics/{METRIC}?range=24h"
    lcps: list[float] = []
    transferred: list[int] = []
    files: list[tuple[str, int]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(ensure_chromium()), args=LAUNCH_ARGS
        )
        for _ in range(loads):
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            page.goto(page_url, wait_until="load")
            result: dict[str, Any] = page.evaluate(_MEASURE_LOAD)
            lcps.append(float(result["lcp"]))
            transferred.append(int(result["bytes"]))
            files = result["files"]
            context.close()
        browser.close()
    print(
        f"first load of {page_url.removeprefix(url)} in headless Chromium "
        f"({loads} loads, empty cache):"
    )
    for name, size in files:
        print(f"  {size:8,d} B  {name.removeprefix(url)}")
    total = statistics.median(transferred)
    verdict = "within" if total < FIRST_LOAD_BUDGET else "OVER"
    print(
        f"  transferred (compressed, with headers): {total / 1024:.1f} KB, {verdict} the 150 KB aim"
    )
    lcp = statistics.median(lcps)
    verdict = "within" if lcp < LCP_BUDGET_MS else "OVER"
    print(
        f"  largest contentful paint: median {lcp:.0f} ms, max {max(lcps):.0f} ms, "
        f"{verdict} the 500 ms aim"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per range")
    parser.add_argument("--loads", type=int, default=5, help="browser first loads")
    options = parser.parse_args()

    with scratch_database() as scratch:
        settings = Settings(
            database=DatabaseSettings(url=scratch.url),
            cache=CacheSettings(url=REDIS_URL, key_prefix=f"{scratch.name}:"),
            log=LogSettings(level="WARNING"),
        )
        app = create_app(settings, accounts=EveryoneIsTheOwner(scratch.project_id))
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        try:
            points = ingest(url, scratch.key)
            print(f"{points} points of {METRIC} over the last {SPAN}")
            time_renders(url, options.requests)
            measure_loads(url, options.loads)
        finally:
            server.should_exit = True
            thread.join(timeout=30)


if __name__ == "__main__":
    main()
