"""The errors the service reports on purpose, and naming any error in one line.

Handlers and domain functions raise these; http/problem_details.py is the one place that turns
them (and every other exception) into RFC 9457 problem details, and the commands print their
detail as one line. Standard library only: the migration runner imports this module without
loading the web stack or the drivers.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any


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


class UnsupportedMediaType(CloudMetricsError):
    """A body in an encoding or format the endpoint does not speak (RFC 9110 section 15.5.16)."""

    status_code = HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    problem = "unsupported-media-type"


class RequestBodyTimeout(CloudMetricsError):
    """The client did not finish sending its body within REQUEST_BODY_TIMEOUT
    (http/request_body.py)."""

    status_code = HTTPStatus.REQUEST_TIMEOUT
    problem = "request-timeout"


def first_line(error: BaseException) -> str:
    """The first line of the error's message, or "" when it has none.

    Driver messages run to several lines (asyncpg adds DETAIL and HINT, sockets add addresses).
    """
    return (str(error).strip().splitlines() or [""])[0]


def describe_error(error: BaseException) -> str:
    """``ClassName: first line``, or just the class name when the message is empty."""
    text = first_line(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
