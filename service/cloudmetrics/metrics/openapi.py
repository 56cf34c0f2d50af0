"""The documented shape of the ingest body.

The handler reads the raw body so that it can report every bad point at once (validation.py);
Litestar therefore cannot derive the request body's schema, and this operation supplies it.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)

from cloudmetrics.metrics.rules import NAME_PATTERN, TAG_KEY_PATTERN, TAG_VALUE_MAX_LENGTH

_POINT = Schema(
    type=OpenAPIType.OBJECT,
    required=["name", "timestamp", "value"],
    additional_properties=False,
    properties={
        "name": Schema(type=OpenAPIType.STRING, pattern=NAME_PATTERN),
        "timestamp": Schema(
            type=OpenAPIType.STRING,
            format=OpenAPIFormat.DATE_TIME,
            description="RFC 3339 with a UTC offset, within the accepted window around now.",
        ),
        "value": Schema(type=OpenAPIType.NUMBER, description="A finite double."),
        "tags": Schema(
            type=OpenAPIType.OBJECT,
            property_names=Schema(type=OpenAPIType.STRING, pattern=TAG_KEY_PATTERN),
            additional_properties=Schema(
                type=OpenAPIType.STRING, min_length=1, max_length=TAG_VALUE_MAX_LENGTH
            ),
        ),
    },
)

INGEST_BODY = RequestBody(
    required=True,
    description=(
        "A batch of points, written whole or not at all. Limits (points per batch, body size, "
        "tags per point, timestamp window) are configured per deployment; see docs/api.md."
    ),
    content={
        "application/json": OpenAPIMediaType(
            schema=Schema(
                type=OpenAPIType.OBJECT,
                required=["points"],
                additional_properties=False,
                properties={"points": Schema(type=OpenAPIType.ARRAY, items=_POINT, min_items=1)},
            )
        )
    },
)


@dataclass
class IngestOperation(Operation):
    def __post_init__(self) -> None:
        self.request_body = INGEST_BODY
