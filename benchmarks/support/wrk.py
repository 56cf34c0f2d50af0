"""Load from wrk, the HTTP load generator, in a second process; its figures parsed."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
_COUNT = re.compile(r"^\s+(\d+) requests in ", re.MULTILINE)
_PERCENTILE = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class Load:
    requests: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float


def require_wrk(script: str) -> None:
    """Say at once, before anything slow, that wrk is missing and how to get it."""
    if shutil.which("wrk") is None:
        sys.exit(
            f"{script} needs wrk, the HTTP load generator, on PATH: "
            "install it (Debian/Ubuntu: apt-get install -y wrk) and run again"
        )


def wrk(
    url: str,
    duration: int,
    connections: int,
    *,
    headers: dict[str, str] | None = None,
    lua_script: Path | None = None,
    environment: dict[str, str] | None = None,
) -> Load:
    """Load ``url`` for ``duration`` seconds; any non-2xx answer is an error, not a figure."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if lua_script is not None:
        command += ["-s", str(lua_script)]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, env=environment
    ).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"{url} answered errors under load:\n{output}")
    rate, count = _RATE.search(output), _COUNT.search(output)
    percentiles = {p: float(v) * _UNIT_MS[u] for p, v, u in _PERCENTILE.findall(output)}
    if rate is None or count is None or set(percentiles) != {"50", "99"}:
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    return Load(int(count.group(1)), float(rate.group(1)), percentiles["50"], percentiles["99"])
