"""Remote write status codes and what is stored; remote read's matchers and project bounds."""

from __future__ import annotations

import gzip
import math
import time

import cramjam
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudmetrics.protocols.prometheus import messages
from tests.protocols.remote_messages import (
    HEADERS,
    STALE_NAN,
    read_request,
    read_response,
    snappy,
    write_request,
)
from tests.support.identity import IssuedKey, issue_key

NOW_MS = (int(time.time()) - 30) * 1000
EQ, NEQ, RE, NRE = (
    messages.MATCH_EQUAL,
    messages.MATCH_NOT_EQUAL,
    messages.MATCH_REGEX,
    messages.MATCH_NOT_REGEX,
)


async def _write(client: AsyncTestClient[Litestar], body: bytes) -> tuple[int, dict[str, object]]:
    answer = await client.post("/api/v1/write", content=body, headers=HEADERS)
    return answer.status_code, (answer.json() if answer.content else {})


async def _read(
    client: AsyncTestClient[Litestar], matchers: list[tuple[int, str, str]]
) -> list[tuple[dict[str, str], list[tuple[int, float]]]]:
    answer = await client.post(
        "/api/v1/read",
        content=read_request(NOW_MS - 60_000, NOW_MS + 60_000, matchers),
        headers=HEADERS,
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-encoding"] == "snappy"
    [result] = read_response(answer.content)
    return sorted(result, key=lambda item: sorted(item[0].items()))


async def test_staleness_markers_nan_and_infinities_are_skipped_without_failing(
    client: AsyncTestClient[Litestar],
) -> None:
    body = write_request(
        [
            (
                {"__name__": "temp", "room": "a"},
                [(NOW_MS, 20.0), (NOW_MS + 1000, STALE_NAN), (NOW_MS + 2000, math.nan)],
            ),
            ({"__name__": "temp", "room": "b"}, [(NOW_MS, math.inf), (NOW_MS + 1, 19.5)]),
        ]
    )
    assert await _write(client, body) == (204, {})
    stored = await _read(client, [(EQ, "__name__", "temp")])
    assert stored == [
        ({"__name__": "temp", "room": "a"}, [(NOW_MS, 20.0)]),
        ({"__name__": "temp", "room": "b"}, [(NOW_MS + 1, 19.5)]),
    ]


async def test_refused_samples_are_a_400_naming_them_and_the_rest_is_written(
    client: AsyncTestClient[Litestar],
) -> None:
    body = write_request(
        [
            ({"__name__": "good", "job": "x"}, [(NOW_MS, 1.0)]),
            ({"__name__": "bad", "path": "p" * 300}, [(NOW_MS, 2.0)]),
            ({"job": "nameless"}, [(NOW_MS, 3.0)]),
            ({"__name__": "old"}, [(NOW_MS - 30 * 86400 * 1000, 4.0)]),
        ]
    )
    status, problem = await _write(client, body)
    assert status == 400
    assert problem["refused"] == 3
    assert problem["written"] == 1
    detail = str(problem["detail"])
    assert "1 to 256 characters" in detail
    assert "without a __name__" in detail
    assert "before the window" in detail
    assert [labels for labels, _ in await _read(client, [(RE, "__name__", ".+")])] == [
        {"__name__": "good", "job": "x"}
    ]
    # The same batch again: Prometheus would not, but a retry changes nothing.
    assert (await _write(client, body))[0] == 400


async def test_remote_read_matchers_are_anchored_and_empty_means_absent(
    client: AsyncTestClient[Litestar],
) -> None:
    series = [
        ({"__name__": "node_load1", "host": "a"}, [(NOW_MS, 1.0)]),
        ({"__name__": "node_load15", "host": "b", "zone": "z1"}, [(NOW_MS, 2.0)]),
        ({"__name__": "node_load5"}, [(NOW_MS, 3.0)]),
    ]
    assert (await _write(client, write_request(series)))[0] == 204

    async def names(matchers: list[tuple[int, str, str]]) -> list[str]:
        return sorted(labels["__name__"] for labels, _ in await _read(client, matchers))

    assert await names([(RE, "__name__", "node_load1")]) == ["node_load1"]
    assert await names([(RE, "__name__", "node_load1.*")]) == ["node_load1", "node_load15"]
    assert await names([(NRE, "__name__", "node_load1.*"), (RE, "__name__", "node.*")]) == [
        "node_load5"
    ]
    assert await names([(RE, "__name__", "node.*"), (EQ, "host", "")]) == ["node_load5"]
    assert await names([(RE, "__name__", "node.*"), (NEQ, "zone", "")]) == ["node_load15"]
    assert await names([(RE, "__name__", "node.*"), (NEQ, "host", "a")]) == [
        "node_load15",
        "node_load5",
    ]
    assert await names([(RE, "__name__", "node.*"), (RE, "host", "a|b")]) == [
        "node_load1",
        "node_load15",
    ]
    # Only selectors that could match everything are refused, as Prometheus refuses them.
    everything = await client.post(
        "/api/v1/read",
        content=read_request(NOW_MS, NOW_MS + 1, [(RE, "__name__", ".*")]),
        headers=HEADERS,
    )
    assert everything.status_code == 400


async def test_remote_read_sees_only_the_keys_project(
    client: AsyncTestClient[Litestar], migrated_database_url: str
) -> None:
    assert (await _write(client, write_request([({"__name__": "secret"}, [(NOW_MS, 1.0)])])))[
        0
    ] == 204
    other: IssuedKey = await issue_key(migrated_database_url, "other")
    answer = await client.post(
        "/api/v1/read",
        content=read_request(NOW_MS - 1000, NOW_MS + 1000, [(EQ, "__name__", "secret")]),
        headers={**HEADERS, **other.headers},
    )
    assert answer.status_code == 200
    assert read_response(answer.content) == [[]]
    labels = await client.get("/api/v1/label/__name__/values", headers=other.headers)
    assert labels.json()["data"] == []


async def test_metadata_is_kept_with_the_metric(client: AsyncTestClient[Litestar]) -> None:
    counter = 1
    body = write_request(
        [({"__name__": "jobs_total"}, [(NOW_MS, 5.0)])],
        [("jobs_total", counter, "Jobs done.", "")],
    )
    assert (await _write(client, body))[0] == 204
    answer = await client.get("/api/v1/metadata", params={"metric": "jobs_total"})
    assert answer.json()["data"] == {
        "jobs_total": [{"type": "counter", "help": "Jobs done.", "unit": ""}]
    }


async def test_encodings_other_than_snappy_and_decoded_bombs_are_refused(
    client: AsyncTestClient[Litestar],
) -> None:
    gzipped = await client.post(
        "/api/v1/write",
        content=gzip.compress(b"x"),
        headers={**HEADERS, "Content-Encoding": "gzip"},
    )
    assert gzipped.status_code == 415
    # A few hundred kilobytes that claim six megabytes: refused before they are expanded.
    bomb = snappy(b"\0" * (6 * 1024 * 1024))
    assert len(bomb) < 1024 * 1024
    too_large = await client.post("/api/v1/write", content=bomb, headers=HEADERS)
    assert too_large.status_code == 413
    assert "decoded body" in too_large.json()["detail"]
    json_bomb = gzip.compress(b" " * (6 * 1024 * 1024))
    ingest = await client.post(
        "/v1/metrics", content=json_bomb, headers={"Content-Encoding": "gzip"}
    )
    assert ingest.status_code == 413
    not_snappy = await client.post("/api/v1/write", content=b"\xff\xff\xff\xff", headers=HEADERS)
    assert not_snappy.status_code == 400
    assert "snappy" in not_snappy.json()["detail"]
    not_protobuf = await client.post(
        "/api/v1/write", content=bytes(cramjam.snappy.compress_raw(b"\xff\xff")), headers=HEADERS
    )
    assert not_protobuf.status_code == 400
    assert "WriteRequest" in not_protobuf.json()["detail"]


async def test_gzip_json_ingest_is_decoded(client: AsyncTestClient[Litestar]) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    body = f'{{"points": [{{"name": "zipped", "timestamp": "{stamp}", "value": 1}}]}}'
    answer = await client.post(
        "/v1/metrics",
        content=gzip.compress(body.encode()),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert answer.status_code == 201, answer.text
    truncated = await client.post(
        "/v1/metrics",
        content=gzip.compress(body.encode())[:-10],
        headers={"Content-Encoding": "gzip"},
    )
    assert truncated.status_code == 400
    brotli = await client.post("/v1/metrics", content=b"x", headers={"Content-Encoding": "br"})
    assert brotli.status_code == 415
