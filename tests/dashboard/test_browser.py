"""The dashboard in a real browser (Debian's Chromium, driven by Playwright): sign in, find a
metric, read its chart, change the range, create and revoke a key, sign out.

Every page fails the test on a console error or a CSP violation, and on any serious or
critical axe-core finding. A failing test leaves a screenshot in test-results/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.dashboard.browser import (
    Watched,
    axe_source_present,
    island,
    save_screenshot,
    watched_page,
)
from tests.dashboard.dashboard_server import EMAIL, PASSWORD, Served, served_with_owner
from tests.support.chromium import LAUNCH_ARGS, ensure_chromium
from tests.support.databases import DatabaseFactory


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = ensure_chromium()
    axe_source_present()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(executable), args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def served(database_factory: DatabaseFactory, redis_url: str) -> Iterator[Served]:
    with served_with_owner(database_factory, redis_url, "browser") as running:
        yield running


@pytest.fixture
def watched(browser: Browser, served: Served, request: pytest.FixtureRequest) -> Iterator[Watched]:
    with watched_page(browser, served.url) as page:
        yield page
        problems = page.problems()
        report: pytest.TestReport | None = getattr(request.node, "report_call", None)
        if problems or report is None or report.failed:
            save_screenshot(page.page, request.node.name)
        assert problems == []


def sign_in(page: Page) -> None:
    page.goto("/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/metrics$"))


def expected_points(page: Page) -> int:
    """Buckets with a value, over every line, as the server's table lists them (not guessed
    by the test)."""
    return page.locator("tbody td[data-value]").count()


def test_sign_in_page_is_served_at_the_root_and_accessible(watched: Watched) -> None:
    page = watched.page
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert watched.axe_violations() == []
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill("wrong")
    watched.expect_status(400)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    # Not signed in: the pages send the visitor back to sign in.
    page.goto("/metrics")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_person_signs_in_finds_a_metric_and_reads_its_chart(watched: Watched) -> None:
    page = watched.page
    sign_in(page)
    expect(page.get_by_role("link", name="cpu.load")).to_be_visible()
    assert watched.axe_violations() == []

    page.get_by_label("Name starts with").fill("cpu.")
    page.get_by_role("button", name="Search").click()
    names = page.get_by_role("list", name="Metric names").get_by_role("link")
    expect(names).to_have_text(["cpu.idle", "cpu.load"])

    page.get_by_role("link", name="cpu.load").click()
    expect(page.get_by_role("heading", name="cpu.load")).to_be_visible()
    chart = page.locator("[data-chart]")
    expected = expected_points(page)
    # Samples every two minutes: the step follows them (5m, the narrowest readable step at
    # least that wide), not the range's own 30 s, which would leave every sample a lone dot.
    expect(page.locator("figcaption")).to_contain_text("per 5m")
    assert island(page)["stepSeconds"] == 300
    assert 9 <= expected <= 11  # twelve buckets, less the ten-minute gap
    expect(chart).to_have_attribute("data-rendered-points", str(expected))
    # Empty buckets are gaps: the island holds nulls between the values.
    [line] = island(page)["lines"]
    assert None in line["values"]
    assert len(line["values"]) == len(island(page)["timestamps"]) == 12
    assert watched.axe_violations() == []

    # A range change redraws in place, with the points the server renders for that range.
    draws = int(chart.get_attribute("data-draws") or "0")
    page.get_by_role("link", name="6h").click()
    expect(page).to_have_url(re.compile(r"range=6h"))
    chart = page.locator("[data-chart]")
    expect(chart).not_to_have_attribute("data-draws", str(draws))
    assert int(chart.get_attribute("data-draws") or "0") > draws
    six_hours = expected_points(page)
    # The same 5m buckets, and one more where six hours reach the hour's oldest sample.
    assert 0 < six_hours <= expected + 1
    expect(chart).to_have_attribute("data-rendered-points", str(six_hours))
    expect(page.locator("[aria-current='true']")).to_have_text("6h")

    # The tag filter narrows the series (custom form, submitted through the client script),
    # on the one-hour range where every sample has a bucket of its own.
    # The range ends on the coming minute: on a slow machine a sample may have left it since the
    # first load, so the count to match is the one this page's own table shows.
    page.get_by_role("link", name="1h").click()
    expect(page.locator("[aria-current='true']")).to_have_text("1h")
    one_hour = expected_points(page)
    assert one_hour >= expected - 1
    expect(page.locator("[data-chart]")).to_have_attribute("data-rendered-points", str(one_hour))
    page.get_by_label("Tag filter").fill("host:web-2")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"tag=host%3Aweb-2"))
    filtered = expected_points(page)
    assert 0 < filtered <= one_hour
    expect(page.locator("figcaption")).to_contain_text("where host:web-2")
    expect(page.locator("[data-chart]")).to_have_attribute("data-rendered-points", str(filtered))

    # The filter box suggests the metric's tags; grouping by one draws a line per value, with
    # a legend, and the same points in all as the one line had.
    suggestions = page.locator("[data-tag-suggestions] option")
    expect(suggestions).to_have_count(2)
    assert sorted(o.get_attribute("value") or "" for o in suggestions.all()) == [
        "host:web-1",
        "host:web-2",
    ]
    page.get_by_label("Tag filter").fill("")
    page.get_by_label("Group by").select_option("host")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"by=host"))
    legend = page.get_by_role("list", name="Legend").get_by_role("listitem")
    expect(legend).to_have_text(["host=web-1", "host=web-2"])
    assert [line["label"] for line in island(page)["lines"]] == ["host=web-1", "host=web-2"]
    grouped = expected_points(page)
    # Every bucket of the one line has a point on at least one of the lines, and the two hosts
    # share no sample (give or take the range's moving end).
    assert one_hour - 1 <= grouped <= 2 * one_hour
    expect(page.locator("[data-chart]")).to_have_attribute("data-rendered-points", str(grouped))
    assert watched.axe_violations() == []


def test_an_owner_creates_a_key_that_is_shown_once_then_revokes_it(
    watched: Watched, served: Served
) -> None:
    page = watched.page
    sign_in(page)
    page.get_by_role("link", name="API keys").click()
    assert watched.axe_violations() == []
    page.get_by_label("Name", exact=True).fill("browser test")
    page.get_by_label("write").check()
    page.get_by_role("button", name="Create key").click()
    secret = page.locator("[data-key-secret]").input_value()
    assert secret
    assert watched.axe_violations() == []
    # The key works on the API, for its project.
    headers = {"Authorization": f"Bearer {secret}"}
    listed = httpx.get(f"{served.url}/v1/metrics", headers=headers, timeout=10)
    assert listed.status_code == 200, listed.text

    # Shown once: the keys page never shows it again.
    page.goto("/keys")
    assert secret not in page.content()
    row = page.locator("tr", has_text="browser test")
    expect(row).to_contain_text("active")
    row.get_by_role("button", name="Revoke browser test").click()
    # Revoking cannot be undone, so it is asked first; cancelling keeps the key.
    expect(page.get_by_role("heading", name="Revoke the key “browser test”?")).to_be_visible()
    assert watched.axe_violations() == []
    page.get_by_role("link", name="Cancel, keep the key").click()
    expect(page.locator("tr", has_text="browser test")).to_contain_text("active")
    assert httpx.get(f"{served.url}/v1/metrics", headers=headers, timeout=10).status_code == 200
    page.locator("tr", has_text="browser test").get_by_role("button", name="Revoke").click()
    page.get_by_role("button", name="Revoke browser test").click()
    expect(page.locator("tr", has_text="browser test")).to_contain_text("revoked")


def test_sign_out_ends_the_session(watched: Watched) -> None:
    page = watched.page
    sign_in(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("signed out")
    page.goto("/metrics")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_the_api_docs_render_from_local_assets(watched: Watched, served: Served) -> None:
    page = watched.page
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url) if not request.url.startswith(served.url) else None
        ),
    )
    page.goto("/schema")
    expect(page.get_by_text("/v1/metrics").first).to_be_visible()
    assert outside == []
    assert watched.axe_violations() == []
