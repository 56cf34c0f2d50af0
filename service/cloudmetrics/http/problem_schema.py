"""How error responses look in the OpenAPI document: RFC 9457 problem details.

errors.py produces these bodies; this module only describes them, so that clients generated
from the schema (and schemathesis) expect `application/problem+json`, not Litestar's default
error shape.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import msgspec
from litestar.openapi import ResponseSpec

PROBLEM_MEDIA_TYPE = "application/problem+json"


class Problem(msgspec.Struct, omit_defaults=True):
    """An RFC 9457 problem; `type` is `about:blank` or a URI naming the kind of problem."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    # Present on validation problems: one entry per bad field or point.
    errors: list[dict[str, Any]] | None = None


def problem_responses(*statuses: HTTPStatus) -> dict[int, ResponseSpec]:
    return {
        int(status): ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_MEDIA_TYPE,
            description=status.phrase,
            generate_examples=False,
        )
        for status in statuses
    }
