"""The /v1 metrics endpoints: parse the request, call one operation, return its struct.

Every route needs an API key (the router's middleware resolves it to a Principal) and declares
the scope it needs in `opt`; the operation runs within the principal's project.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any

from litestar import Request, Router, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.types import Middleware

from cloudmetrics.http.content_encoding import decoded_body
from cloudmetrics.http.problem_schema import problem_responses
from cloudmetrics.identity.guards import SCOPE_OPT, require_declared_scope
from cloudmetrics.identity.middleware import provide_principal
from cloudmetrics.identity.principal import Principal
from cloudmetrics.identity.security import SECURITY_REQUIREMENT
from cloudmetrics.metrics import operations
from cloudmetrics.metrics.models import (
    Aggregate,
    GroupedSeries,
    IngestResult,
    MetricPage,
    MetricTags,
    Series,
)
from cloudmetrics.metrics.openapi import IngestOperation
from cloudmetrics.metrics.pagination import CURSOR_PATTERN
from cloudmetrics.metrics.rules import PREFIX_PATTERN, TAG_KEY_PATTERN
from cloudmetrics.metrics.series_params import STEP_PATTERN, parse_series_query
from cloudmetrics.metrics.validation import parse_batch
from cloudmetrics.resources import AppResources
from cloudmetrics.settings import Settings

# Any /v1 call needs a key with the right scope, and can meet the rate limit or an outage.
ALWAYS = (
    HTTPStatus.UNAUTHORIZED,
    HTTPStatus.FORBIDDEN,
    HTTPStatus.TOO_MANY_REQUESTS,
    HTTPStatus.SERVICE_UNAVAILABLE,
)


@post(
    "/metrics",
    status_code=201,
    operation_class=IngestOperation,
    summary="Ingest a batch of points (all or nothing)",
    description="Needs a key with the `write` scope. The body may be gzip-compressed "
    "(`Content-Encoding: gzip`); the size limit applies to the decoded body.",
    tags=["metrics"],
    opt={SCOPE_OPT: "write"},
    responses=problem_responses(
        HTTPStatus.BAD_REQUEST,
        HTTPStatus.REQUEST_TIMEOUT,
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
        *ALWAYS,
    ),
)
async def ingest_points(
    request: Request[Any, Any, Any], resources: AppResources, principal: NamedDependency[Principal]
) -> IngestResult:
    body = await decoded_body(request, resources.settings.ingest.max_body_bytes)
    points = parse_batch(body, resources.settings.ingest)
    return await operations.ingest(resources, principal.project_id, points)


@get(
    "/metrics",
    summary="List metric names, by prefix, a page at a time",
    description="Needs a key with the `read` scope; lists the key's project only.",
    tags=["metrics"],
    opt={SCOPE_OPT: "read"},
    responses=problem_responses(HTTPStatus.BAD_REQUEST, *ALWAYS),
)
async def list_metrics(
    resources: AppResources,
    principal: NamedDependency[Principal],
    prefix: Annotated[str, QueryParameter(pattern=PREFIX_PATTERN, max_length=200)] = "",
    cursor: Annotated[
        str | None,
        QueryParameter(pattern=CURSOR_PATTERN, description="nextCursor of the last page"),
    ] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
) -> MetricPage:
    return await operations.list_metrics(
        resources, principal.project_id, prefix=prefix, cursor=cursor, limit=limit
    )


@get(
    "/metrics/{name:str}/series",
    summary="Aggregate a metric's points into time buckets",
    description="Needs a key with the `read` scope; another project's metric is a 404.",
    tags=["metrics"],
    opt={SCOPE_OPT: "read"},
    responses=problem_responses(HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND, *ALWAYS),
)
async def read_series(
    resources: AppResources,
    principal: NamedDependency[Principal],
    name: FromPath[str],
    start: Annotated[datetime, QueryParameter(description="Inclusive; RFC 3339 with an offset")],
    end: Annotated[datetime, QueryParameter(description="Exclusive; RFC 3339 with an offset")],
    step: Annotated[
        str, QueryParameter(pattern=STEP_PATTERN, description="Bucket width: 30s, 5m, 1h, 1d")
    ] = "60s",
    agg: FromQuery[Aggregate] = "avg",
    tags: Annotated[
        list[str] | None,
        QueryParameter(name="tag", description="key:value; repeat to require several tags"),
    ] = None,
) -> Series:
    query = parse_series_query(
        start=start,
        end=end,
        step=step,
        agg=agg,
        tag_filters=tags or (),
        max_buckets=resources.settings.query.max_buckets,
        max_tags=resources.settings.ingest.max_tags,
    )
    return await operations.read_series(resources, principal.project_id, name, query)


@get(
    "/metrics/{name:str}/groups",
    summary="A series query once per value of one tag (one line each)",
    description="Needs a key with the `read` scope. Series without the tag form the group "
    "whose value is null. At most 50 groups.",
    tags=["metrics"],
    opt={SCOPE_OPT: "read"},
    responses=problem_responses(HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND, *ALWAYS),
)
async def read_grouped_series(
    resources: AppResources,
    principal: NamedDependency[Principal],
    name: FromPath[str],
    by: Annotated[str, QueryParameter(pattern=TAG_KEY_PATTERN, description="The tag to group by")],
    start: Annotated[datetime, QueryParameter(description="Inclusive; RFC 3339 with an offset")],
    end: Annotated[datetime, QueryParameter(description="Exclusive; RFC 3339 with an offset")],
    step: Annotated[
        str, QueryParameter(pattern=STEP_PATTERN, description="Bucket width: 30s, 5m, 1h, 1d")
    ] = "60s",
    agg: FromQuery[Aggregate] = "avg",
    tags: Annotated[
        list[str] | None,
        QueryParameter(name="tag", description="key:value; repeat to require several tags"),
    ] = None,
) -> GroupedSeries:
    query = parse_series_query(
        start=start,
        end=end,
        step=step,
        agg=agg,
        tag_filters=tags or (),
        max_buckets=resources.settings.query.max_buckets,
        max_tags=resources.settings.ingest.max_tags,
    )
    return await operations.read_grouped_series(resources, principal.project_id, name, query, by)


@get(
    "/metrics/{name:str}/tags",
    summary="A metric's tag keys and their values",
    description="Needs a key with the `read` scope; up to 100 values per key, the most "
    "common first.",
    tags=["metrics"],
    opt={SCOPE_OPT: "read"},
    responses=problem_responses(HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND, *ALWAYS),
)
async def read_metric_tags(
    resources: AppResources, principal: NamedDependency[Principal], name: FromPath[str]
) -> MetricTags:
    return await operations.metric_tags(resources, principal.project_id, name)


def metrics_router(settings: Settings, *, middleware: Sequence[Middleware] = ()) -> Router:
    """``middleware`` must begin with the API key authentication, which sets the principal."""
    return Router(
        path="/v1",
        route_handlers=[
            ingest_points,
            list_metrics,
            read_series,
            read_grouped_series,
            read_metric_tags,
        ],
        guards=[require_declared_scope],
        dependencies={"principal": Provide(provide_principal)},
        security=[SECURITY_REQUIREMENT],
        # Litestar stops reading past this (even without a Content-Length); the handler turns
        # its error into our 413 problem.
        request_max_body_size=settings.ingest.max_body_bytes,
        middleware=list(middleware),
    )
