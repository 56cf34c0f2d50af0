"""The chart read as a person reads it, in Chromium, with and without the client script: data
sent once a minute is a line, labels fit any magnitude, values near the largest double still
draw, long names wrap, an empty range says so, a bad form says what is wrong in words and keeps
what was typed, and a browser meets errors as pages.

With the script off the page shows the server's SVG; with it on, uPlot's canvas, which records
on its container what the tests read (`data-rendered-points`, `data-unplaced-points`,
`data-y-labels`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Browser, Page, StorageState, expect

from tests.dashboard.browser import Watched, island, save_screenshot, watched_page
from tests.dashboard.dashboard_server import EMAIL, PASSWORD, Served, served_with_owner
from tests.support.databases import DatabaseFactory

LARGEST = 1.7976931348623157e308
LONG_NAME = "long_" + "segment_" * 24  # 197 characters, no place a browser breaks by itself


def minutely(name: str, values: list[float], now: datetime) -> list[dict[str, object]]:
    """One point a minute, ending a minute ago."""
    start = now.replace(second=0, microsecond=0)
    return [
        {"name": name, "timestamp": (start - timedelta(minutes=60 - i)).isoformat(), "value": v}
        for i, v in enumerate(values)
    ]


@pytest.fixture(scope="module")
def served(database_factory: DatabaseFactory, redis_url: str) -> Iterator[Served]:
    with served_with_owner(database_factory, redis_url, "charts") as running:
        now = datetime.now(UTC)
        points = [
            *minutely("temp.minutely", [20 + (i % 5) / 10 for i in range(60)], now),
            *minutely("big.values", [1e12 + i * 2e10 for i in range(60)], now),
            *minutely("extreme.values", [LARGEST if i % 2 else -LARGEST for i in range(60)], now),
            *minutely(LONG_NAME, [1.0] * 3, now),
        ]
        written = httpx.post(
            f"{running.url}/v1/metrics", json={"points": points}, headers=running.key.headers
        )
        assert written.status_code == 201, written.text
        yield running


@pytest.fixture(scope="module")
def signed_in(browser: Browser, served: Served) -> StorageState:
    """The cookies of one sign-in, shared by the module's tests: each sign-in counts against
    the account's budget of attempts."""
    with watched_page(browser, served.url) as watched:
        sign_in(watched.page)
        return watched.page.context.storage_state()


def _watched(
    browser: Browser,
    served: Served,
    signed_in: StorageState,
    request: pytest.FixtureRequest,
    *,
    script: bool,
) -> Iterator[Watched]:
    with watched_page(
        browser, served.url, java_script_enabled=script, storage_state=signed_in
    ) as watched:
        yield watched
        problems = watched.problems()
        report: pytest.TestReport | None = getattr(request.node, "report_call", None)
        if problems or report is None or report.failed:
            save_screenshot(watched.page, request.node.name)
        assert problems == []


@pytest.fixture
def scripted(
    browser: Browser, served: Served, signed_in: StorageState, request: pytest.FixtureRequest
) -> Iterator[Watched]:
    yield from _watched(browser, served, signed_in, request, script=True)


@pytest.fixture
def scriptless(
    browser: Browser, served: Served, signed_in: StorageState, request: pytest.FixtureRequest
) -> Iterator[Watched]:
    yield from _watched(browser, served, signed_in, request, script=False)


def sign_in(page: Page) -> None:
    page.goto("/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/metrics$"))


def table_count(page: Page) -> int:
    return page.locator("tbody td[data-value]").count()


def svg_paths(page: Page) -> list[str]:
    return page.locator("svg.chart-svg path").evaluate_all(
        "(paths) => paths.map((p) => p.getAttribute('d'))"
    )


def svg_y_labels(page: Page) -> list[str]:
    return page.locator("svg.chart-svg text[text-anchor='end']").all_text_contents()


def test_points_once_a_minute_draw_a_line_at_one_hour(scripted: Watched) -> None:
    page = scripted.page
    page.goto("/metrics/temp.minutely?range=1h")
    # The range alone would give 30-second buckets, every other one empty.
    expect(page.locator("figcaption")).to_contain_text("per 1m")
    series = island(page)
    assert series["stepSeconds"] == 60
    values = series["lines"][0]["values"]
    filled = [index for index, value in enumerate(values) if value is not None]
    # No empty bucket between the first and the last point: a line, not dots.
    assert len(filled) >= 57  # the hour ends on the coming minute: its oldest may fall out
    assert filled == list(range(filled[0], filled[-1] + 1))
    expect(page.locator("[data-chart]")).to_have_attribute(
        "data-rendered-points", str(table_count(page))
    )


def test_the_server_chart_draws_the_minutely_points_as_a_line(scriptless: Watched) -> None:
    page = scriptless.page
    page.goto("/metrics/temp.minutely?range=1h")
    assert len(svg_paths(page)) == 1
    expect(page.locator("svg.chart-svg circle")).to_have_count(0)


@pytest.mark.parametrize("preset", ["6h", "24h", "30d"])
def test_longer_ranges_draw_the_same_points_as_a_line(scriptless: Watched, preset: str) -> None:
    page = scriptless.page
    page.goto(f"/metrics/temp.minutely?range={preset}")
    assert table_count(page) > 0
    # One hour of minutely data is a run of buckets (one at 30d's 3 h step: a dot).
    assert len(svg_paths(page)) + page.locator("svg.chart-svg circle").count() >= 1
    assert all("nan" not in path for path in svg_paths(page))


def test_labels_of_large_values_fit_and_say_their_size(scripted: Watched) -> None:
    page = scripted.page
    page.goto("/metrics/big.values?range=1h")
    chart = page.locator("[data-chart]")
    expect(chart).to_have_attribute("data-y-labels", re.compile(r"e\+12"))
    labels = (chart.get_attribute("data-y-labels") or "").split()
    assert labels
    assert all(len(label) <= 11 and "," not in label for label in labels)


def test_the_server_chart_labels_large_values_within_its_margin(scriptless: Watched) -> None:
    page = scriptless.page
    page.goto("/metrics/big.values?range=1h")
    labels = svg_y_labels(page)
    assert [label for label in labels if label.endswith("e+12")]
    assert all(re.fullmatch(r"-?\d+(\.\d+)?(e[+-]\d+)?", label) for label in labels), labels
    # Every label lies inside the picture: none is cut off at its left edge.
    lefts = page.locator("svg.chart-svg text[text-anchor='end']").evaluate_all(
        "(texts) => texts.map((t) => t.getBBox().x)"
    )
    assert min(lefts) >= 0


def test_values_near_the_largest_double_draw(scripted: Watched) -> None:
    page = scripted.page
    page.goto("/metrics/extreme.values?range=1h")
    chart = page.locator("[data-chart]")
    drawn = table_count(page)
    assert drawn >= 57  # the hour ends on the coming minute: its oldest points may fall out
    expect(chart).to_have_attribute("data-rendered-points", str(drawn))
    expect(chart).to_have_attribute("data-unplaced-points", "0")
    labels = (chart.get_attribute("data-y-labels") or "").split()
    assert labels
    assert not [label for label in labels if "NaN" in label or "Infinity" in label]


def test_the_server_chart_of_values_near_the_largest_double_has_real_coordinates(
    scriptless: Watched,
) -> None:
    page = scriptless.page
    page.goto("/metrics/extreme.values?range=1h")
    [path] = svg_paths(page)
    coordinates = re.findall(r"[-\d.]+|[a-z]+", path.replace("M", " ").replace("L", " "))
    assert coordinates
    assert all(re.fullmatch(r"-?\d+(\.\d+)?", number) for number in coordinates)
    assert [label for label in svg_y_labels(page) if "e+308" in label]


def test_a_long_metric_name_wraps_in_the_list_and_on_its_page(scripted: Watched) -> None:
    page = scripted.page
    page.goto("/metrics")
    link = page.get_by_role("link", name=LONG_NAME)
    expect(link).to_be_visible()
    page.set_viewport_size({"width": 480, "height": 900})
    # Nothing is wider than the window: the name breaks instead of pushing the page sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    box = link.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 480
    link.click()
    expect(page.get_by_role("heading", name=LONG_NAME)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_empty_range_says_there_are_no_points(scripted: Watched) -> None:
    page = scripted.page
    page.goto("/metrics/temp.minutely?start=2026-01-01T00:00&end=2026-01-01T01:00")
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^No points in this range\."))
    expect(page.locator("[data-chart]")).to_have_attribute("data-rendered-points", "0")


def test_a_bad_form_says_what_is_wrong_in_words_and_keeps_what_was_typed(
    scripted: Watched,
) -> None:
    page = scripted.page
    scripted.expect_status(400)
    page.goto("/metrics/temp.minutely?range=1h")
    page.get_by_label("From (UTC)").fill("2026-01-02T03:04")
    page.get_by_label("To (UTC)").fill("2026-01-02T05:06")
    page.get_by_label("Tag filter").fill("bad key:web-1")
    page.get_by_role("button", name="Show").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The tag “bad key” cannot exist")
    expect(alert).to_contain_text("letters, digits and _ . -")
    assert "^[" not in (alert.text_content() or "")
    expect(page.get_by_label("From (UTC)")).to_have_value("2026-01-02T03:04")
    expect(page.get_by_label("To (UTC)")).to_have_value("2026-01-02T05:06")
    expect(page.get_by_label("Tag filter")).to_have_value("bad key:web-1")

    # A range with no end keeps its start.
    page.goto("/metrics/temp.minutely?start=2026-01-02T03:04&end=")
    expect(page.get_by_role("alert")).to_contain_text("needs both a start and an end")
    expect(page.get_by_label("From (UTC)")).to_have_value("2026-01-02T03:04")

    page.goto("/metrics?prefix=no%20spaces")
    expect(page.get_by_role("alert")).to_contain_text("holds only letters, digits")
    assert "^[" not in (page.get_by_role("alert").text_content() or "")


def test_a_browser_meets_an_unknown_page_as_a_page(scripted: Watched, served: Served) -> None:
    page = scripted.page
    scripted.expect_status(404)
    answer = page.goto("/no/such/page")
    assert answer is not None
    assert answer.status == 404
    assert (answer.header_value("content-type") or "").startswith("text/html")
    expect(page.get_by_role("heading", name="No such page")).to_be_visible()
    # An API client asking the same address still gets problem details.
    api = httpx.get(f"{served.url}/no/such/page")
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"


def test_a_form_failing_its_csrf_check_is_a_page(scripted: Watched) -> None:
    page = scripted.page
    scripted.expect_status(403)
    page.goto("/keys")
    # A form posted without the token, as from another site's page (or an expired one).
    page.evaluate(
        """() => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = "/sign-out";
            document.body.append(form);
            form.submit();
        }"""
    )
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    assert "application/problem+json" not in page.content()
