"""What the embedded servers cost `make up` and `make test` on a machine that runs none.

Measured with the same classes `cloudmetrics with-local-servers` and the suite use, on free
loopback ports in a throwaway folder (never the checkout's `.local-servers/`):
- PostgreSQL's first start: initdb, then pg_ctl start until it accepts connections (the first
  `make up`, and once per `make test` run that starts its own);
- a start on existing data (every later `make up`), and the stop;
- Redis's start and stop.

    .venv/bin/python -m benchmarks.local_servers [--rounds 5]
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import statistics
import time
from collections.abc import Callable

from cloudmetrics.local_servers.postgresql import EmbeddedPostgres
from cloudmetrics.local_servers.redis import EmbeddedRedis
from tests.support.ports import free_port
from tests.support.reachable_dir import reachable_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()

    figures: dict[str, list[float]] = {}

    def timed(label: str, step: Callable[[], None]) -> None:
        started = time.perf_counter()
        step()
        figures.setdefault(label, []).append(time.perf_counter() - started)

    with reachable_dir("cm-bench-local-servers-") as folder:
        for round_number in range(options.rounds):
            postgres = EmbeddedPostgres(folder / f"postgresql-{round_number}")
            start = functools.partial(postgres.start, "127.0.0.1", free_port())
            timed("PostgreSQL first start (initdb + start)", start)
            timed("PostgreSQL stop", postgres.stop)
            timed("PostgreSQL start on existing data", start)
            postgres.stop()
            shutil.rmtree(postgres.data_dir)

            redis = EmbeddedRedis(folder / f"redis-{round_number}")
            timed("Redis start", functools.partial(redis.start, "127.0.0.1", free_port()))
            timed("Redis stop", redis.stop)

    print(f"{options.rounds} rounds, load average {os.getloadavg()[0]:.1f} at the end")
    for label, seconds in figures.items():
        print(f"{label:42s} median {statistics.median(seconds):6.2f} s  max {max(seconds):6.2f} s")


if __name__ == "__main__":
    main()
