"""The browser side of the dashboard tests: Chromium pages that fail on any console error or
CSP violation, axe-core checks, and a screenshot of whatever page a failing test was on."""

from __future__ import annotations

import json
import re
from collections.abc import Generator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, ConsoleMessage, Page, StorageState

from tests.support.server import REPOSITORY

AXE = REPOSITORY / "web" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPOSITORY / "test-results" / "screenshots"
# Impacts that fail a page; "minor" and "moderate" ones are reported, not fatal.
FATAL_IMPACTS = {"serious", "critical"}

# Runs in every page before its own scripts (through DevTools, so the CSP does not apply to it):
# violations are recorded even when nothing logs them.
_RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


@dataclass
class Watched:
    """A page, with every console error, page error and CSP violation it produced."""

    page: Page
    errors: list[str] = field(default_factory=list[str])
    expected_statuses: set[int] = field(default_factory=set[int])

    def expect_status(self, status: int) -> None:
        """The test provokes a page answered with this error status (a refused sign-in): the
        browser's console line about it is expected, every other error still fails."""
        self.expected_statuses.add(status)

    def _expected(self, error: str) -> bool:
        return any(
            f"the server responded with a status of {status} " in error
            for status in self.expected_statuses
        )

    def problems(self) -> list[str]:
        try:
            violations: list[str] = self.page.evaluate("window.__cspViolations || []")
        except Exception as error:
            violations = [f"could not read CSP violations: {error}"]
        errors = [error for error in self.errors if not self._expected(error)]
        return [*errors, *(f"CSP violation: {item}" for item in violations)]

    def axe_violations(self) -> list[str]:
        """Serious and critical accessibility violations on the page as it is now."""
        # evaluate() goes through DevTools, which the page's CSP does not restrict.
        self.page.evaluate(AXE.read_text(encoding="utf-8") + "\n;void 0;")
        result: dict[str, Any] = self.page.evaluate(
            "axe.run(document, {resultTypes: ['violations']})"
        )
        return [
            f"{item['id']} ({item['impact']}): {item['help']} — "
            + "; ".join(node["target"][0] for node in item["nodes"][:3])
            for item in result["violations"]
            if item["impact"] in FATAL_IMPACTS
        ]


@contextmanager
def watched_page(
    browser: Browser,
    base_url: str,
    *,
    java_script_enabled: bool = True,
    storage_state: StorageState | None = None,
) -> Generator[Watched]:
    """A page whose problems are collected; ``java_script_enabled=False`` shows the pages as
    a browser without the client script does (the server's SVG chart), and ``storage_state``
    carries the cookies of a session signed in before."""
    context = browser.new_context(
        base_url=base_url,
        viewport={"width": 1200, "height": 900},
        java_script_enabled=java_script_enabled,
        storage_state=storage_state,
    )
    context.add_init_script(_RECORD_CSP_VIOLATIONS)
    page = context.new_page()
    watched = Watched(page)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watched.errors.append(f"console error: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: watched.errors.append(f"page error: {error}"))
    try:
        yield watched
    finally:
        context.close()


def save_screenshot(page: Page, test_name: str) -> Path | None:
    """The page as the failing test left it; never raises (it must not hide the failure)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / (re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name) + ".png")
    with suppress(Exception):
        page.screenshot(path=path, full_page=True)
        return path
    return None


def axe_source_present() -> Path:
    if not AXE.exists():
        raise FileNotFoundError(f"{AXE} is missing: run `make assets` (npm ci installs axe-core)")
    return AXE


def island(page: Page) -> dict[str, Any]:
    """The series the server embedded in the page, as the chart reads it."""
    return json.loads(page.locator("#series-data").text_content() or "null")
