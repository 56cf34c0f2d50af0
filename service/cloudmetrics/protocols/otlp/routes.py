"""OTLP/HTTP metrics at POST /otlp/v1/metrics: protobuf or JSON, gzip or not.

Success is 200 with an ExportMetricsServiceResponse in the request's own encoding, whose
`partial_success` counts the data points refused and says why (the rest are written). A body
that cannot be decoded at all is a 400; a content type other than OTLP's two a 415. Errors are
RFC 9457 problems like everywhere else in the API; OTLP exporters log the body of a failed
export, and retry only 429, 502, 503 and 504, which is what we mean by them too.
"""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from litestar import Request, Response, Router, post
from litestar.di import NamedDependency, Provide
from litestar.types import Middleware
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)

from cloudmetrics.errors import InvalidRequest, UnsupportedMediaType
from cloudmetrics.http.content_encoding import decoded_body
from cloudmetrics.http.problem_schema import problem_responses
from cloudmetrics.identity.guards import SCOPE_OPT, require_declared_scope
from cloudmetrics.identity.middleware import provide_principal
from cloudmetrics.identity.principal import Principal
from cloudmetrics.identity.security import SECURITY_REQUIREMENT
from cloudmetrics.protocols.ingest import write_decoded
from cloudmetrics.protocols.otlp.translate import translate
from cloudmetrics.resources import AppResources
from cloudmetrics.settings import Settings

PROTOBUF = "application/x-protobuf"
JSON = "application/json"


def _media_type(request: Request[Any, Any, Any]) -> str:
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type not in (PROTOBUF, JSON):
        raise UnsupportedMediaType(
            f"Content-Type {media_type[:60]!r}: OTLP/HTTP bodies are {PROTOBUF} or {JSON}",
            extra={"acceptedMediaTypes": [PROTOBUF, JSON]},
        )
    return media_type


def _decode(body: bytes, media_type: str) -> ExportMetricsServiceRequest:
    request = ExportMetricsServiceRequest()
    try:
        if media_type == PROTOBUF:
            request.ParseFromString(body)
        else:
            # OTLP/JSON: receivers must ignore fields they do not know.
            json_format.Parse(body, request, ignore_unknown_fields=True)
    except (DecodeError, json_format.ParseError, UnicodeDecodeError, RecursionError) as error:
        raise InvalidRequest(
            f"the body is not an OTLP ExportMetricsServiceRequest ({str(error)[:300]})"
        ) from None
    return request


@post(
    "/v1/metrics",
    status_code=200,
    summary="OTLP/HTTP metrics export (protobuf or JSON)",
    description="Needs a key with the `write` scope. See docs/api.md for the translation.",
    tags=["opentelemetry"],
    opt={SCOPE_OPT: "write"},
    responses=problem_responses(
        HTTPStatus.BAD_REQUEST,
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
        HTTPStatus.UNAUTHORIZED,
        HTTPStatus.FORBIDDEN,
        HTTPStatus.TOO_MANY_REQUESTS,
        HTTPStatus.SERVICE_UNAVAILABLE,
    ),
)
async def export_metrics(
    request: Request[Any, Any, Any],
    resources: AppResources,
    principal: NamedDependency[Principal],
) -> Response[bytes]:
    media_type = _media_type(request)
    body = await decoded_body(request, resources.settings.ingest.max_body_bytes)
    translation = translate(_decode(body, media_type))
    outcome = await write_decoded(resources, principal.project_id, translation.decoded())
    failed = {translation.origins[index] for index in outcome.refused_indices}
    response = ExportMetricsServiceResponse()
    rejected = translation.refused_points + len(failed - {-1})
    if outcome.refused:
        response.partial_success.rejected_data_points = rejected
        response.partial_success.error_message = outcome.summary()
    content = (
        response.SerializeToString()
        if media_type == PROTOBUF
        else json_format.MessageToJson(response, indent=None).encode()
    )
    return Response(content=content, media_type=media_type)


def otlp_router(settings: Settings, *, middleware: Sequence[Middleware] = ()) -> Router:
    """``middleware`` must begin with the API key authentication, which sets the principal."""
    return Router(
        path="/otlp",
        route_handlers=[export_metrics],
        guards=[require_declared_scope],
        dependencies={"principal": Provide(provide_principal)},
        security=[SECURITY_REQUIREMENT],
        request_max_body_size=settings.ingest.max_body_bytes,
        middleware=list(middleware),
    )
