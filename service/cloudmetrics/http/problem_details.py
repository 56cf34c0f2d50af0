"""The one place that turns any exception into RFC 9457 problem details.

Handlers raise domain errors (errors.py) or let driver errors escape; they never build error
bodies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

import asyncpg
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)

from cloudmetrics.errors import CloudMetricsError
from cloudmetrics.http.error_pages import error_page, prefers_html
from cloudmetrics.outages import OUTAGES

log = structlog.get_logger(__name__)

PROBLEM_TYPE_BASE = "https://cloudmetrics.dev/problems/"

# Seconds a client should wait before retrying after a 503.
RETRY_AFTER_SECONDS = "1"


class Problem(ProblemDetailsException):
    """Problem details, or an HTML page when a browser asks (http/error_pages.py)."""

    def to_response(self, request: Request[Any, Any, Any]) -> Response[Any]:  # pyright: ignore[reportIncompatibleMethodOverride]  # a page is bytes, not the problem's dict
        if prefers_html(request):
            return error_page(
                request,
                status_code=self.status_code,
                title=self.title,
                detail=self.detail,
                headers=self.headers,
            )
        return super().to_response(request)


def _problem(
    status: int,
    detail: str,
    *,
    problem: str | None = None,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> ProblemDetailsException:
    merged = dict(headers or {})
    if status == HTTPStatus.SERVICE_UNAVAILABLE:
        merged.setdefault("Retry-After", RETRY_AFTER_SECONDS)
    return Problem(
        status_code=status,
        type_=PROBLEM_TYPE_BASE + problem if problem else "about:blank",
        title=HTTPStatus(status).phrase,
        detail=detail,
        headers=merged or None,
        extra=dict(extra) if extra else None,
    )


def from_domain_error(error: CloudMetricsError) -> ProblemDetailsException:
    return _problem(
        error.status_code,
        error.detail,
        problem=error.problem,
        extra=error.extra,
        headers=error.headers,
    )


def from_http_exception(error: HTTPException) -> ProblemDetailsException:
    extra: dict[str, Any] = {}
    if isinstance(error, ValidationException) and error.extra:
        # Litestar's validation errors become a list of {message, key, source}.
        extra["errors"] = error.extra
    elif isinstance(error.extra, Mapping):
        extra.update(error.extra)
    problem = "invalid-request" if isinstance(error, ValidationException) else None
    # The exception's own headers (a 429's RateLimit-*, a 405's Allow) stay.
    headers = dict(error.headers or {})
    if error.status_code == HTTPStatus.TOO_MANY_REQUESTS and "RateLimit-Reset" in headers:
        # Clients and proxies that predate the RateLimit headers understand Retry-After.
        headers.setdefault("Retry-After", str(max(int(headers["RateLimit-Reset"]), 1)))
    return _problem(
        error.status_code, str(error.detail), problem=problem, extra=extra, headers=headers
    )


def from_outage(error: Exception) -> ProblemDetailsException:
    # The driver's message can name hosts; log it, tell the client only what failed.
    log.warning("dependency_failure", error_type=type(error).__name__, error=str(error))
    detail = "a backing service did not answer in time; retry shortly"
    return _problem(HTTPStatus.SERVICE_UNAVAILABLE, detail, problem="dependency-unavailable")


# What PostgreSQL answers for text it cannot hold: NUL in text (22021) or in jsonb (22P05). Only
# ever a client's input (path, query, body), whichever route carried it, so it is mapped here,
# once, instead of every handler checking every field.
UNSTORABLE_TEXT: tuple[type[Exception], ...] = (
    asyncpg.CharacterNotInRepertoireError,
    asyncpg.UntranslatableCharacterError,
)


def from_unstorable_text(error: Exception) -> ProblemDetailsException:
    detail = "the request holds text the database cannot store (a NUL character, U+0000)"
    return _problem(HTTPStatus.BAD_REQUEST, detail, problem="invalid-text")


def from_unexpected_error(error: Exception) -> ProblemDetailsException:
    log.exception("unhandled_error", error_type=type(error).__name__, exc_info=error)
    return _problem(HTTPStatus.INTERNAL_SERVER_ERROR, "an unexpected error occurred")


def problem_details_plugin() -> ProblemDetailsPlugin:
    mapping: dict[type[Exception], Callable[[Any], ProblemDetailsException]] = {
        HTTPException: from_http_exception,
        CloudMetricsError: from_domain_error,
        Exception: from_unexpected_error,
    }
    for outage in OUTAGES:
        mapping[outage] = from_outage
    for unstorable in UNSTORABLE_TEXT:
        mapping[unstorable] = from_unstorable_text
    return ProblemDetailsPlugin(ProblemDetailsConfig(exception_to_problem_detail_map=mapping))


__all__ = ["PROBLEM_TYPE_BASE", "problem_details_plugin"]
