"""Running the smoke checks with bounded retries, one readable line per check."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

from cloudmetrics.smoke.checks import CHECKS, Check, CheckFailed, Retryable, SmokeContext


@dataclass(frozen=True, slots=True)
class Outcome:
    name: str
    passed: bool
    detail: str
    attempts: int
    seconds: float

    def line(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        tries = f", {self.attempts} attempts" if self.attempts > 1 else ""
        return f"{verdict}  {self.name:<11} {self.detail} ({self.seconds:.2f}s{tries})"


def run_check(
    name: str,
    check: Check,
    context: SmokeContext,
    *,
    attempts: int,
    retry_delay: float,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    started = time.perf_counter()
    detail = ""
    for attempt in range(1, attempts + 1):
        try:
            detail = check(context)
        except CheckFailed as failure:
            return Outcome(name, False, str(failure), attempt, time.perf_counter() - started)
        except Retryable as problem:
            detail = str(problem)
            if attempt < attempts:
                sleep(retry_delay)
            continue
        return Outcome(name, True, detail, attempt, time.perf_counter() - started)
    return Outcome(name, False, detail, attempts, time.perf_counter() - started)


def run_smoke(
    base_url: str,
    *,
    timeout: float,
    attempts: int,
    retry_delay: float,
    report: Callable[[str], None],
    api_key: str | None = None,
    checks: Sequence[tuple[str, Check]] = CHECKS,
    expect_release: str | None = None,
) -> bool:
    """Run every check (a failed one does not hide the others); True when all passed."""
    outcomes: list[Outcome] = []
    with httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout) as client:
        context = SmokeContext(client=client, api_key=api_key, expect_release=expect_release)
        for name, check in checks:
            outcome = run_check(name, check, context, attempts=attempts, retry_delay=retry_delay)
            outcomes.append(outcome)
            report(outcome.line())
    failed = [outcome.name for outcome in outcomes if not outcome.passed]
    if failed:
        report(f"smoke FAILED against {base_url}: {', '.join(failed)}")
    else:
        report(f"smoke passed against {base_url}: {len(outcomes)} checks")
    return not failed
