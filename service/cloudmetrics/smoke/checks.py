"""The smoke checks. Each one makes its requests and returns a short description of what it saw,
or raises CheckFailed (give up) / Retryable (worth another attempt)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import httpx
import msgspec


class CheckFailed(Exception):
    """The service answered, and the answer is wrong; retrying will not change it."""


class Retryable(Exception):
    """No answer, a 5xx or a 429: the service may be starting or briefly overloaded."""


@dataclass(frozen=True)
class SmokeContext:
    client: httpx.Client
    # A key with read and write scopes (CLOUDMETRICS_API_KEY): /v1 refuses anonymous calls.
    api_key: str | None = None
    # One metric per run: names are unique, so a stale cache or a leftover point cannot pass.
    metric: str = field(default_factory=lambda: f"smoke.{uuid.uuid4().hex}")
    value: float = 42.0
    # The release the deployment must run (`--expect-release`): `/health` reports it.
    expect_release: str | None = None


Check = Callable[[SmokeContext], str]
T = TypeVar("T")


def _request(
    context: SmokeContext,
    method: str,
    path: str,
    *,
    params: dict[str, str] | None = None,
    json: object = None,
) -> httpx.Response:
    # The key goes only where it is needed: the probes and the schema are open.
    headers = (
        {"Authorization": f"Bearer {context.api_key}"}
        if context.api_key and path.startswith("/v1/")
        else None
    )
    try:
        response = context.client.request(method, path, params=params, json=json, headers=headers)
    except httpx.TimeoutException as error:
        raise Retryable(f"{method} {path}: no answer in time ({type(error).__name__})") from None
    except httpx.TransportError as error:
        raise Retryable(f"{method} {path}: {type(error).__name__}: {error}") from None
    if response.status_code >= 500 or response.status_code == 429:
        raise Retryable(f"{method} {path} -> {response.status_code}{_problem(response)}")
    return response


def _expect(response: httpx.Response, status: int, shape: type[T]) -> T:
    """The body of a response with the expected status, decoded into the shape the check needs."""
    if response.status_code != status:
        raise CheckFailed(
            f"{response.request.method} {response.request.url.path} -> "
            f"{response.status_code}{_problem(response)} (expected {status})"
        )
    try:
        return msgspec.json.decode(response.content, type=shape)
    except msgspec.DecodeError as error:
        raise CheckFailed(
            f"{response.request.url.path} answered unexpected JSON: {error}"
        ) from None


class _CheckEntry(msgspec.Struct):
    status: str


class _Problem(msgspec.Struct):
    detail: str | None = None
    checks: dict[str, list[_CheckEntry]] | None = None


def _problem(response: httpx.Response) -> str:
    """What the body says went wrong: a problem's detail, or the failing readiness checks."""
    try:
        body = msgspec.json.decode(response.content, type=_Problem)
    except msgspec.DecodeError:
        return ""
    if body.detail:
        return f": {body.detail}"
    failing = [
        f"{name} {entry.status}"
        for name, entries in (body.checks or {}).items()
        for entry in entries
        if entry.status != "pass"
    ]
    return f": {', '.join(failing)}" if failing else ""


class _Health(msgspec.Struct, rename="camel"):
    status: str
    release_id: str | None = None
    checks: dict[str, list[_CheckEntry]] | None = None


class _OpenAPI(msgspec.Struct):
    openapi: str
    paths: dict[str, object]


class _Accepted(msgspec.Struct):
    accepted: int


class _Name(msgspec.Struct):
    name: str


class _Page(msgspec.Struct):
    metrics: list[_Name]


class _Bucket(msgspec.Struct):
    value: float


class _Series(msgspec.Struct):
    points: list[_Bucket]


def check_health(context: SmokeContext) -> str:
    body = _expect(_request(context, "GET", "/health"), 200, _Health)
    if body.status != "pass":
        raise CheckFailed(f"GET /health -> 200 but status {body.status!r}")
    if context.expect_release is not None and body.release_id != context.expect_release:
        # Retryable: while a rollout drains, an old task may still answer for a moment.
        raise Retryable(
            f"GET /health reports release {body.release_id!r}, expected {context.expect_release!r}"
        )
    return "GET /health -> 200 pass" + (f", release {body.release_id}" if body.release_id else "")


def check_ready(context: SmokeContext) -> str:
    body = _expect(_request(context, "GET", "/ready"), 200, _Health)
    # warn means Redis is away: the service still answers (uncached), so it is ready.
    if body.status not in ("pass", "warn"):
        raise CheckFailed(f"GET /ready -> 200 but status {body.status!r}")
    degraded = [
        name
        for name, entries in (body.checks or {}).items()
        if any(entry.status != "pass" for entry in entries)
    ]
    return f"GET /ready -> 200 {body.status}" + (f" ({', '.join(degraded)})" if degraded else "")


REQUIRED_PATHS = ("/v1/metrics", "/v1/metrics/{name}/series", "/health", "/ready")


def check_openapi(context: SmokeContext) -> str:
    body = _expect(_request(context, "GET", "/schema/openapi.json"), 200, _OpenAPI)
    missing = [path for path in REQUIRED_PATHS if path not in body.paths]
    if missing:
        raise CheckFailed(f"the OpenAPI schema lacks {', '.join(missing)}")
    return f"GET /schema/openapi.json -> 200, OpenAPI {body.openapi}, {len(body.paths)} paths"


MISSING_KEY = (
    "CLOUDMETRICS_API_KEY is not set: the round trip needs an API key with the read and write "
    "scopes (`cloudmetrics keys create --project NAME --scope read,write`)"
)


# The round trip writes a batch as a real agent does, not one point: well over 8 KB of JSON, the
# body size past which AWS's managed WAF rules would block a request if the edge's web ACL did
# not spare the API (infra/cloudmetrics_infra/waf.py). One series, one millisecond apart, so the
# read back is still a single bucket of one value.
SMOKE_BATCH_POINTS = 200


def round_trip_batch(metric: str, value: float, moment: datetime) -> list[dict[str, object]]:
    return [
        {
            "name": metric,
            "timestamp": (moment - timedelta(milliseconds=offset)).isoformat(),
            "value": value,
            "tags": {"source": "smoke"},
        }
        for offset in range(SMOKE_BATCH_POINTS)
    ]


def check_round_trip(context: SmokeContext) -> str:
    if not context.api_key:
        raise CheckFailed(MISSING_KEY)
    moment = datetime.now(UTC).replace(microsecond=0)
    batch = round_trip_batch(context.metric, context.value, moment)
    written = _request(context, "POST", "/v1/metrics", json={"points": batch})
    accepted = _expect(written, 201, _Accepted).accepted
    if accepted != len(batch):
        raise CheckFailed(f"POST /v1/metrics accepted {accepted} points, expected {len(batch)}")

    listed = _request(context, "GET", "/v1/metrics", params={"prefix": context.metric})
    if context.metric not in [metric.name for metric in _expect(listed, 200, _Page).metrics]:
        raise CheckFailed(f"GET /v1/metrics does not list {context.metric} after writing it")

    window = {
        "start": (moment - timedelta(minutes=1)).isoformat(),
        "end": (moment + timedelta(minutes=1)).isoformat(),
        "step": "2m",
        "agg": "max",
        "tag": "source:smoke",
    }
    read = _request(context, "GET", f"/v1/metrics/{context.metric}/series", params=window)
    values = [bucket.value for bucket in _expect(read, 200, _Series).points]
    if values != [context.value]:
        raise CheckFailed(f"series of {context.metric} is {values}, expected [{context.value}]")
    return f"wrote {len(batch)} points of {context.metric} and read them back (list and series)"


CHECKS: tuple[tuple[str, Check], ...] = (
    ("health", check_health),
    ("ready", check_ready),
    ("openapi", check_openapi),
    ("round-trip", check_round_trip),
)
