"""Domain errors and the one place that turns any exception into RFC 9457 problem details.

Handlers raise domain errors (or let driver errors escape); they never build error bodies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

import asyncpg
import redis.exceptions
import structlog
from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)

log = structlog.get_logger(__name__)

PROBLEM_TYPE_BASE = "https://cloudmetrics.dev/problems/"


class CloudMetricsError(Exception):
    """Base of the errors the API reports to clients on purpose."""

    status_code: int = HTTPStatus.BAD_REQUEST
    problem: str = "bad-request"

    def __init__(
        self,
        detail: str,
        *,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})


class DependencyUnavailable(CloudMetricsError):
    """PostgreSQL or Redis did not answer within its budget; the client may retry."""

    status_code = HTTPStatus.SERVICE_UNAVAILABLE
    problem = "dependency-unavailable"


class InvalidRequest(CloudMetricsError):
    status_code = HTTPStatus.BAD_REQUEST
    problem = "invalid-request"


class NotFound(CloudMetricsError):
    status_code = HTTPStatus.NOT_FOUND
    problem = "not-found"


class Unauthenticated(CloudMetricsError):
    """No credential, or one that is malformed, unknown, revoked or expired (RFC 6750)."""

    status_code = HTTPStatus.UNAUTHORIZED
    problem = "unauthenticated"


class Forbidden(CloudMetricsError):
    """A valid credential that does not grant what the request needs."""

    status_code = HTTPStatus.FORBIDDEN
    problem = "forbidden"


class Conflict(CloudMetricsError):
    status_code = HTTPStatus.CONFLICT
    problem = "conflict"


class PayloadTooLarge(CloudMetricsError):
    status_code = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    problem = "payload-too-large"


class RequestBodyTimeout(CloudMetricsError):
    """The client did not finish sending its body within REQUEST_BODY_TIMEOUT (request_body.py)."""

    status_code = HTTPStatus.REQUEST_TIMEOUT
    problem = "request-timeout"


# Seconds a client should wait before retrying after a 503.
RETRY_AFTER_SECONDS = "1"


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
    return ProblemDetailsException(
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


def from_dependency_failure(error: Exception) -> ProblemDetailsException:
    # The driver's message can name hosts; log it, tell the client only what failed.
    log.warning("dependency_failure", error_type=type(error).__name__, error=str(error))
    detail = "a backing service did not answer in time; retry shortly"
    return _problem(HTTPStatus.SERVICE_UNAVAILABLE, detail, problem="dependency-unavailable")


def from_unexpected_error(error: Exception) -> ProblemDetailsException:
    log.exception("unhandled_error", error_type=type(error).__name__, exc_info=error)
    return _problem(HTTPStatus.INTERNAL_SERVER_ERROR, "an unexpected error occurred")


# Errors that mean "PostgreSQL or Redis is unreachable or too slow", wherever they escape from.
# Only the drivers' own errors and timeouts: a bare OSError escaping a handler is far more often
# our bug (a missing file, a closed descriptor) than an outage, and must stay a 500 that pages
# someone, not a 503 that tells clients to retry.
DEPENDENCY_FAILURES: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    # The server answers but refuses us (database dropped, role or password wrong): from the
    # client's side the service cannot reach its data, and the operator's fix needs no restart.
    asyncpg.InvalidCatalogNameError,
    asyncpg.InvalidAuthorizationSpecificationError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.RedisClusterException,
    # asyncpg's command_timeout and every asyncio.wait_for around a dependency call.
    TimeoutError,
)

# What opening a connection can raise on top of those: the socket layer's own errors (refused,
# unreachable, a name that does not resolve). Only code that is connecting at that moment
# (database.acquire, the start-up waits) treats them as an unavailable dependency.
CONNECT_FAILURES: tuple[type[Exception], ...] = (*DEPENDENCY_FAILURES, OSError)


def problem_details_plugin() -> ProblemDetailsPlugin:
    mapping: dict[type[Exception], Callable[[Any], ProblemDetailsException]] = {
        HTTPException: from_http_exception,
        CloudMetricsError: from_domain_error,
        Exception: from_unexpected_error,
    }
    for failure in DEPENDENCY_FAILURES:
        mapping[failure] = from_dependency_failure
    return ProblemDetailsPlugin(ProblemDetailsConfig(exception_to_problem_detail_map=mapping))
