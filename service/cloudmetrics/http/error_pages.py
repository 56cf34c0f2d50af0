"""Errors as an HTML page for a browser, as problem details for everyone else.

A person who follows a stale link, or whose form fails its CSRF check, should read a page in
the dashboard's own look, not a JSON document. The choice is by `Accept`: browsers ask for
`text/html` first, while API clients (curl sends `*/*`, SDKs send JSON) keep getting
`application/problem+json`, which is also what an equal preference gets.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import CacheControlHeader
from litestar.response import Template

PROBLEM_JSON = "application/problem+json"
HTML = "text/html"
_NO_STORE = CacheControlHeader(no_store=True)

# What a person reads for the statuses a browser meets; others show the problem's own title.
_TITLES = {
    403: "Not allowed",
    404: "No such page",
    405: "Not a page",
}
_DETAILS = {
    404: "There is no page at this address. It may have moved, or the link may be mistyped.",
}


def prefers_html(request: Request[Any, Any, Any]) -> bool:
    return request.accept.best_match([PROBLEM_JSON, HTML], default=PROBLEM_JSON) == HTML


def error_page(
    request: Request[Any, Any, Any],
    *,
    status_code: int,
    title: str | None,
    detail: str,
    headers: dict[str, str] | None,
) -> Template:
    del request  # the page needs nothing of it; kept for symmetry with to_response
    return Template(
        template_name="problem.html.jinja",
        context={
            "viewer": None,
            "section": None,
            "title": _TITLES.get(status_code, title or "Error"),
            "detail": _DETAILS.get(status_code, _sentence(detail)),
        },
        status_code=status_code,
        headers={**(headers or {}), _NO_STORE.HEADER_NAME: _NO_STORE.to_header()},
    )


def _sentence(detail: str) -> str:
    text = detail.strip() or "Something went wrong."
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")
