"""/api/v2/write (InfluxDB 2) and /write (InfluxDB 1): line protocol, gzip or not.

204 when everything was written (string and boolean fields skipped on purpose); 400 with the
refused lines' numbers and reasons when some could not be parsed or were refused by the shared
checks, the rest being written (InfluxDB's "partial write"). The bucket, org and db parameters
are accepted and not used: the key decides the project.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated, Any

from litestar import Request, Router, post
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from litestar.types import Middleware

from cloudmetrics.errors import InvalidRequest
from cloudmetrics.http.content_encoding import decoded_body
from cloudmetrics.http.problem_schema import problem_responses
from cloudmetrics.identity.guards import SCOPE_OPT, require_declared_scope
from cloudmetrics.identity.middleware import provide_principal
from cloudmetrics.identity.principal import Principal
from cloudmetrics.identity.security import SECURITY_REQUIREMENT
from cloudmetrics.protocols.influx.line_protocol import V2_PRECISIONS, parse_lines
from cloudmetrics.protocols.ingest import write_decoded
from cloudmetrics.resources import AppResources
from cloudmetrics.settings import Settings

PROBLEMS = problem_responses(
    HTTPStatus.BAD_REQUEST,
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    HTTPStatus.UNAUTHORIZED,
    HTTPStatus.FORBIDDEN,
    HTTPStatus.TOO_MANY_REQUESTS,
    HTTPStatus.SERVICE_UNAVAILABLE,
)


async def _write(
    request: Request[Any, Any, Any], resources: AppResources, project_id: int, precision: str
) -> None:
    arrived = datetime.now(UTC)
    body = await decoded_body(request, resources.settings.ingest.max_body_bytes)
    outcome = await write_decoded(resources, project_id, parse_lines(body, precision, arrived))
    if outcome.refused:
        raise InvalidRequest(
            f"partial write: {outcome.refused} points refused, {outcome.result.accepted} "
            f"written: {outcome.summary()}",
            extra={"refused": outcome.refused, "written": outcome.result.accepted},
        )


@post(
    "/api/v2/write",
    status_code=204,
    summary="Influx line protocol (InfluxDB 2 API)",
    description="`Authorization: Token <key>` with the `write` scope; precision ns, us, ms, s.",
    tags=["influx"],
    opt={SCOPE_OPT: "write"},
    responses=PROBLEMS,
)
async def write_v2(
    request: Request[Any, Any, Any],
    resources: AppResources,
    principal: NamedDependency[Principal],
    precision: Annotated[str, QueryParameter(description="ns (default), us, ms or s")] = "ns",
) -> None:
    if precision not in V2_PRECISIONS:
        raise InvalidRequest(f"precision must be one of {', '.join(V2_PRECISIONS)}")
    await _write(request, resources, principal.project_id, precision)


@post(
    "/write",
    status_code=204,
    summary="Influx line protocol (InfluxDB 1 API)",
    description="The key as `p` (or basic auth's password), with the `write` scope.",
    tags=["influx"],
    opt={SCOPE_OPT: "write"},
    responses=PROBLEMS,
)
async def write_v1(
    request: Request[Any, Any, Any],
    resources: AppResources,
    principal: NamedDependency[Principal],
    precision: Annotated[
        str, QueryParameter(description="n, ns (default), u, us, ms, s, m, h")
    ] = "ns",
) -> None:
    await _write(request, resources, principal.project_id, precision)


def influx_router(settings: Settings, *, middleware: Sequence[Middleware] = ()) -> Router:
    """``middleware`` must begin with the API key authentication reading Influx credentials."""
    return Router(
        path="/",
        route_handlers=[write_v2, write_v1],
        guards=[require_declared_scope],
        dependencies={"principal": Provide(provide_principal)},
        security=[SECURITY_REQUIREMENT],
        request_max_body_size=settings.ingest.max_body_bytes,
        middleware=list(middleware),
    )
