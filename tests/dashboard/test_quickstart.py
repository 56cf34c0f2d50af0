"""README.md's quickstart, followed word for word: what `make up` runs (`prestart`, `serve`),
the three commands it prints, the documented curls, then a browser signs in and reads the chart
of the points those curls wrote.

The commands are read from README.md itself, so a README that drifts from the code fails here.
Only the address changes: the test's server listens on a free port, not on 8000.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from playwright.sync_api import Browser, expect

from tests.dashboard.browser import watched_page
from tests.support.databases import DatabaseFactory
from tests.support.server import REPOSITORY, running_server

SECTION = "From `make up` to a chart"
EMAIL = "you@example.com"  # the quickstart's own
PASSWORD = "a password typed at the prompt"
CLI = [sys.executable, "-m", "cloudmetrics"]


def quickstart_blocks(readme: Path = REPOSITORY / "README.md") -> list[str]:
    """The shell blocks of the README's quickstart section, in order."""
    tokens = MarkdownIt("commonmark").parse(readme.read_text(encoding="utf-8"))
    blocks: list[str] = []
    inside = False
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            inside = tokens[index + 1].content == SECTION
        elif inside and token.type == "fence" and token.info == "sh":
            blocks.append(token.content)
    return blocks


@pytest.fixture(scope="module")
def fresh_database(database_factory: DatabaseFactory) -> str:
    """An empty database, as a fresh clone's `make up` finds (made in a thread of its own:
    Playwright's loop runs in this one)."""
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(asyncio.run, database_factory.create("quickstart")).result()


def test_the_readme_has_the_three_commands_and_both_curls() -> None:
    blocks = quickstart_blocks()
    assert len(blocks) == 3
    assert blocks[0].count(".venv/bin/cloudmetrics ") == 3
    assert all("curl" in block and "/v1/metrics" in block for block in blocks[1:])


def test_the_quickstart_ends_signed_in_at_a_chart_of_the_curls_points(
    fresh_database: str, redis_url: str, browser: Browser
) -> None:
    database_url = fresh_database
    environment = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
    prestart = subprocess.run(
        [*CLI, "prestart", "--create-database"],
        env=environment,
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=False,
    )
    assert prestart.returncode == 0, prestart.stderr
    commands, *curls = quickstart_blocks()
    # What prestart prints is what the README asks a newcomer to run (the key kept in $KEY).
    for line in commands.splitlines():
        command = re.sub(r"^KEY=\$\((.*) \| tail -n 1\)$", r"\1", line)
        assert f"  {command}\n" in prestart.stdout

    with running_server({"DATABASE_URL": database_url, "REDIS_URL": redis_url}) as served:
        address = served.url.removeprefix("http://")
        script = "set -euo pipefail\n" + "\n".join([commands, *curls]).replace(
            "127.0.0.1:8000", address
        )
        # No terminal: the password prompt reads standard input, as it does when pasted into one.
        followed = subprocess.run(
            ["bash", "-c", script],
            input=f"{PASSWORD}\n{PASSWORD}\n",
            env={**environment, "PATH": f"{REPOSITORY / '.venv' / 'bin'}:{os.environ['PATH']}"},
            cwd=REPOSITORY,
            capture_output=True,
            text=True,
            check=False,
            start_new_session=True,
            timeout=60,
        )
        assert followed.returncode == 0, followed.stderr
        answers = re.findall(r'\{"accepted":(\d+)', followed.stdout)
        assert answers == ["1", "60"], followed.stdout

        with watched_page(browser, served.url) as watched:
            page = watched.page
            page.goto("/")
            page.get_by_label("Email").fill(EMAIL)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("link", name="room.temperature").click()
            expect(page.get_by_role("heading", name="room.temperature")).to_be_visible()
            chart = page.locator("[data-chart]")
            drawn = page.locator("tbody td[data-value]").count()
            assert drawn >= 60
            expect(chart).to_have_attribute("data-rendered-points", str(drawn))
            assert watched.problems() == []
