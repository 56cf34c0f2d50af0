"""Prometheus's endpoints under /api/v1: remote write, remote read, label discovery, metadata.

They take the same API keys as /v1 (`Authorization: Bearer <key>`, what Prometheus's
`authorization` block sends), with the same scopes: write for remote write, read for the rest.
Status codes of remote write follow Prometheus's own receiver (docs/adr/0025): 204 when every
sample was written or skipped on purpose; 400 when some were refused (they are dropped, the rest
is written, and Prometheus must not retry a batch that cannot get better); 413 for a body or a
batch past the limits; 429 and 503 when a retry will help.
"""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, Router, get, post, route
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.types import Middleware

from cloudmetrics.errors import InvalidRequest, UnsupportedMediaType
from cloudmetrics.http.content_encoding import (
    IDENTITY,
    SNAPPY,
    content_encoding,
    read_body,
    snappy_block,
    unsnappy,
)
from cloudmetrics.http.problem_schema import problem_responses
from cloudmetrics.identity.guards import SCOPE_OPT, require_declared_scope
from cloudmetrics.identity.middleware import provide_principal
from cloudmetrics.identity.principal import Principal
from cloudmetrics.identity.security import SECURITY_REQUIREMENT
from cloudmetrics.metrics.metadata import read_metadata
from cloudmetrics.metrics.query_budget import query_connection
from cloudmetrics.metrics.rules import is_metric_name
from cloudmetrics.protocols.ingest import write_decoded
from cloudmetrics.protocols.prometheus import discovery
from cloudmetrics.protocols.prometheus.matchers import Matcher, from_selector
from cloudmetrics.protocols.prometheus.remote_read import answer, decode_read_request
from cloudmetrics.protocols.prometheus.remote_write import decode_write_request
from cloudmetrics.resources import AppResources
from cloudmetrics.settings import Settings

AnyRequest = Request[Any, Any, Any]
PROTOBUF = "application/x-protobuf"
MAX_SELECTORS = 32
ALWAYS = (
    HTTPStatus.UNAUTHORIZED,
    HTTPStatus.FORBIDDEN,
    HTTPStatus.TOO_MANY_REQUESTS,
    HTTPStatus.SERVICE_UNAVAILABLE,
)
_BODY = (
    HTTPStatus.BAD_REQUEST,
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
)


class PrometheusAnswer(msgspec.Struct, omit_defaults=True):
    """Prometheus's HTTP API envelope, as Grafana and promtool read it."""

    status: str
    data: Any
    warnings: list[str] = []


async def _snappy_body(request: AnyRequest, limit: int) -> bytes:
    # Remote write and read always compress with snappy's block format; Prometheus's own
    # receiver reads it whether or not the header says so. Any other coding is refused.
    coding = content_encoding(request)
    if coding not in (SNAPPY, IDENTITY):
        raise UnsupportedMediaType(
            f"Content-Encoding {coding[:40]!r}: remote write and read bodies are snappy",
            extra={"acceptedEncodings": [SNAPPY]},
        )
    return unsnappy(await read_body(request, limit), limit)


@post(
    "/write",
    status_code=204,
    summary="Prometheus remote write 1.0 (snappy protobuf WriteRequest)",
    description="Needs a key with the `write` scope. See docs/api.md for status codes.",
    tags=["prometheus"],
    opt={SCOPE_OPT: "write"},
    responses=problem_responses(*_BODY, *ALWAYS),
)
async def remote_write(
    request: AnyRequest, resources: AppResources, principal: NamedDependency[Principal]
) -> None:
    data = await _snappy_body(request, resources.settings.ingest.max_body_bytes)
    outcome = await write_decoded(resources, principal.project_id, decode_write_request(data))
    if outcome.refused:
        raise InvalidRequest(
            f"{outcome.refused} samples were refused and dropped, the other "
            f"{outcome.result.accepted} written: {outcome.summary()}",
            extra={"refused": outcome.refused, "written": outcome.result.accepted},
        )


@post(
    "/read",
    status_code=200,
    summary="Prometheus remote read (SAMPLES responses, snappy protobuf)",
    description="Needs a key with the `read` scope; reads the key's project only.",
    tags=["prometheus"],
    opt={SCOPE_OPT: "read"},
    responses=problem_responses(*_BODY, *ALWAYS),
)
async def remote_read(
    request: AnyRequest, resources: AppResources, principal: NamedDependency[Principal]
) -> Response[bytes]:
    data = await _snappy_body(request, resources.settings.ingest.max_body_bytes)
    read_request = decode_read_request(data)
    async with query_connection(resources, principal.project_id) as connection:
        serialized = await answer(
            connection, principal.project_id, read_request, resources.settings.query
        )
    return Response(
        content=snappy_block(serialized),
        media_type=PROTOBUF,
        headers={"Content-Encoding": SNAPPY},
    )


async def _selectors(request: AnyRequest) -> list[list[Matcher]]:
    """Every `match[]`, from the query string or a form body (Grafana posts them)."""
    given: list[str] = list(request.query_params.getall("match[]", []))
    if request.method == "POST":
        form = await request.form()
        given += [str(value) for value in form.getall("match[]", [])]
    if len(given) > MAX_SELECTORS:
        raise InvalidRequest(f"at most {MAX_SELECTORS} match[] selectors are accepted")
    return [from_selector(selector) for selector in given]


READ_SCOPE = {SCOPE_OPT: "read"}
DISCOVERY_PROBLEMS = problem_responses(HTTPStatus.BAD_REQUEST, *ALWAYS)


@route(
    "/labels",
    http_method=["GET", "POST"],
    status_code=200,
    summary="Label names",
    tags=["prometheus"],
    opt=READ_SCOPE,
    responses=DISCOVERY_PROBLEMS,
)
async def labels(
    request: AnyRequest, resources: AppResources, principal: NamedDependency[Principal]
) -> PrometheusAnswer:
    selectors = await _selectors(request)
    async with query_connection(resources, principal.project_id) as connection:
        listing = await discovery.label_names(
            connection,
            principal.project_id,
            selectors,
            limit=resources.settings.query.max_read_series,
        )
    return PrometheusAnswer("success", listing.data, listing.warnings)


@route(
    "/label/{label:str}/values",
    http_method=["GET", "POST"],
    status_code=200,
    summary="A label's values",
    tags=["prometheus"],
    opt=READ_SCOPE,
    responses=DISCOVERY_PROBLEMS,
)
async def label_values(
    request: AnyRequest,
    resources: AppResources,
    principal: NamedDependency[Principal],
    label: FromPath[str],
) -> PrometheusAnswer:
    selectors = await _selectors(request)
    async with query_connection(resources, principal.project_id) as connection:
        listing = await discovery.label_values(
            connection,
            principal.project_id,
            label,
            selectors,
            limit=resources.settings.query.max_read_series,
        )
    return PrometheusAnswer("success", listing.data, listing.warnings)


@route(
    "/series",
    http_method=["GET", "POST"],
    status_code=200,
    summary="Series a selector picks",
    tags=["prometheus"],
    opt=READ_SCOPE,
    responses=DISCOVERY_PROBLEMS,
)
async def series(
    request: AnyRequest, resources: AppResources, principal: NamedDependency[Principal]
) -> PrometheusAnswer:
    selectors = await _selectors(request)
    if not selectors:
        raise InvalidRequest("give at least one match[] series selector")
    async with query_connection(resources, principal.project_id) as connection:
        found = await discovery.series(
            connection,
            principal.project_id,
            selectors,
            limit=resources.settings.query.max_read_series,
        )
    return PrometheusAnswer("success", found)


@get(
    "/metadata",
    summary="Metric metadata (type, help, unit)",
    tags=["prometheus"],
    opt=READ_SCOPE,
    responses=DISCOVERY_PROBLEMS,
)
async def metadata(
    resources: AppResources,
    principal: NamedDependency[Principal],
    metric: FromQuery[str | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=10_000)] = 10_000,
) -> PrometheusAnswer:
    if metric is not None and not is_metric_name(metric):
        # Prometheus answers an unknown metric with no metadata, not an error.
        return PrometheusAnswer("success", {})
    async with query_connection(resources, principal.project_id) as connection:
        entries = await read_metadata(connection, principal.project_id, name=metric, limit=limit)
    data = {
        entry.name: [{"type": entry.type, "help": entry.help, "unit": entry.unit}]
        for entry in entries
    }
    return PrometheusAnswer("success", data)


def prometheus_router(settings: Settings, *, middleware: Sequence[Middleware] = ()) -> Router:
    """``middleware`` must begin with the API key authentication, which sets the principal."""
    return Router(
        path="/api/v1",
        route_handlers=[remote_write, remote_read, labels, label_values, series, metadata],
        guards=[require_declared_scope],
        dependencies={"principal": Provide(provide_principal)},
        security=[SECURITY_REQUIREMENT],
        request_max_body_size=settings.ingest.max_body_bytes,
        middleware=list(middleware),
    )
