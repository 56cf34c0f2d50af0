"""Bad input never becomes a 500: malformed bodies, in every encoding, at every ingest and read
endpoint the protocols add (and our own JSON ingest), are refused with a 4xx problem.

Sent to the service as a real process: the test process imports pulumi for other tests, which
switches protobuf's decoder to "oversize" mode process-wide (no nesting limit), a state the
service never runs in.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.live_service import service_environment
from tests.protocols.remote_messages import HEADERS as SNAPPY_HEADERS
from tests.protocols.remote_messages import snappy
from tests.support.identity import IssuedKey
from tests.support.server import running_server

PROTOBUF = {"Content-Type": "application/x-protobuf"}
JSON = {"Content-Type": "application/json"}
ENDPOINTS: list[tuple[str, dict[str, str]]] = [
    ("/api/v1/write", SNAPPY_HEADERS),
    ("/api/v1/read", SNAPPY_HEADERS),
    ("/otlp/v1/metrics", PROTOBUF),
    ("/otlp/v1/metrics", JSON),
    ("/api/v2/write", {}),
    ("/write", {}),
    ("/v1/metrics", JSON),
]
NASTY: list[bytes] = [
    b"",
    b"\x00",
    b"\xff" * 64,
    b"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",  # a length past the end
    b"\x08" + b"\x80" * 20,  # a varint that never ends
    # Nested far past every parser's depth limit (as JSON, and as protobuf groups: `{` and `[`
    # start groups of fields 15 and 11).
    b"{" * 100_000,
    b"[" * 100_000 + b"]" * 100_000,
    "\udcff".encode("utf-8", "surrogatepass"),
    json.dumps({"resourceMetrics": [{"scopeMetrics": [{"metrics": [{"sum": 7}]}]}]}).encode(),
    b'{"resourceMetrics": "nope"}',
    b"measurement",
    b'm,t=1 f="unterminated 1',
    b"m f=1 99999999999999999999999",
    b"m,=x f=1",
    b"m f=1i,\\",
]


@pytest.fixture(scope="module")
def service_url(module_database: tuple[str, IssuedKey], redis_url: str) -> Iterator[str]:
    url, _ = module_database
    environment = service_environment(url, redis_url, RATE_LIMIT_PER_MINUTE="0")
    with running_server(environment, startup_timeout=90) as served:
        yield served.url


@pytest.fixture
async def client(
    service_url: str, module_database: tuple[str, IssuedKey]
) -> AsyncIterator[httpx.AsyncClient]:
    _, key = module_database
    async with httpx.AsyncClient(base_url=service_url, headers=key.headers, timeout=60) as http:
        yield http


def _encodings(body: bytes, headers: dict[str, str]) -> list[tuple[bytes, dict[str, str]]]:
    if headers.get("Content-Encoding") == "snappy":
        return [(body, headers), (snappy(body), headers)]
    return [(body, headers), (gzip.compress(body), {**headers, "Content-Encoding": "gzip"})]


async def _assert_refused_cleanly(
    client: httpx.AsyncClient, path: str, body: bytes, headers: dict[str, str]
) -> None:
    answer = await client.post(path, content=body, headers=headers)
    assert answer.status_code < 500, (path, body[:40], answer.text[:300])
    if answer.status_code >= 400:
        assert answer.headers["content-type"].startswith("application/problem+json"), path


@pytest.mark.parametrize(("path", "headers"), ENDPOINTS)
async def test_malformed_bodies_are_4xx_problems(
    client: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> None:
    for body in NASTY:
        for encoded, sent in _encodings(body, headers):
            await _assert_refused_cleanly(client, path, encoded, sent)
    # A body claiming a coding it is not.
    lying = {**headers, "Content-Encoding": "gzip" if "snappy" not in str(headers) else "snappy"}
    answer = await client.post(path, content=b"not compressed at all", headers=lying)
    assert answer.status_code in (400, 415), answer.text


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.binary(max_size=300), index=st.integers(0, len(ENDPOINTS) - 1))
async def test_random_bytes_are_never_a_server_error(
    client: httpx.AsyncClient, body: bytes, index: int
) -> None:
    path, headers = ENDPOINTS[index]
    for encoded, sent in _encodings(body, headers):
        await _assert_refused_cleanly(client, path, encoded, sent)
