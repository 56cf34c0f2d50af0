"""POST /v1/metrics: what is written, what is refused, and that a refused batch writes nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from cloudmetrics.app import create_app
from cloudmetrics.settings import IngestSettings
from tests.api.conftest import api_settings
from tests.api.database import fetch_value, point_count
from tests.api.points import batch, now, point
from tests.support.identity import IssuedKey

Client = AsyncTestClient[Litestar]


async def test_batch_is_written_and_counted(client: Client, migrated_database_url: str) -> None:
    at = now() - timedelta(minutes=5)
    response = await client.post(
        "/v1/metrics",
        json=batch(
            point("cpu.load", value=0.5, at=at, tags={"host": "a", "region": "eu-west-1"}),
            point("cpu.load", value=2, at=at + timedelta(seconds=10)),
            point("mem.used", value=-1.25e10, at=at),
        ),
    )

    assert response.status_code == 201, response.text
    assert response.json() == {"accepted": 3, "newMetrics": 2, "duplicates": 0}
    assert await point_count(migrated_database_url) == 3
    tags = await fetch_value(
        migrated_database_url,
        "SELECT s.tags FROM samples p JOIN series s ON s.id = p.series_id WHERE p.value = 0.5",
    )
    assert json.loads(str(tags)) == {"host": "a", "region": "eu-west-1"}
    # Two series of cpu.load (two tag sets), one of mem.used.
    assert await fetch_value(migrated_database_url, "SELECT count(*) FROM series") == 3
    stored = await fetch_value(migrated_database_url, "SELECT min(ts) FROM samples")
    assert stored == at


async def test_known_metrics_are_reused_not_recreated(
    client: Client, migrated_database_url: str
) -> None:
    await client.post("/v1/metrics", json=batch(point("disk.free")))

    later = now() - timedelta(seconds=30)
    again = await client.post(
        "/v1/metrics", json=batch(point("disk.free", at=later), point("disk.used"))
    )

    assert again.json() == {"accepted": 2, "newMetrics": 1, "duplicates": 0}
    assert await fetch_value(migrated_database_url, "SELECT count(*) FROM metrics") == 2


def _too_long_name() -> str:
    return "a" * 201


# Each bad point is built when its test runs: timestamps relative to now must not date from
# collection time.
INVALID_POINTS: list[tuple[str, Callable[[], Any], str, str]] = [
    ("name missing", lambda: {"timestamp": now().isoformat(), "value": 1}, "name", "required"),
    ("name not a string", lambda: point(name=12), "name", "must be a string"),  # type: ignore[arg-type]
    ("name starts with a digit", lambda: point("1cpu"), "name", "must be a string matching"),
    ("name with a space", lambda: point("cpu load"), "name", "matching"),
    ("name too long", lambda: point(_too_long_name()), "name", "matching"),
    ("name with trailing newline", lambda: point("cpu\n"), "name", "matching"),
    ("value missing", lambda: {"name": "a", "timestamp": now().isoformat()}, "value", "required"),
    ("value NaN as a string", lambda: point(value="NaN"), "value", "NaN and infinities"),
    ("value Infinity as a string", lambda: point(value="Infinity"), "value", "NaN and infinities"),
    ("value a boolean", lambda: point(value=True), "value", "JSON number"),
    ("value past double range", lambda: point(value=10**400), "value", "finite"),
    ("timestamp missing", lambda: {"name": "a", "value": 1}, "timestamp", "required"),
    ("timestamp not RFC 3339", lambda: point(timestamp="yesterday"), "timestamp", "RFC 3339"),
    ("timestamp as a number", lambda: point(timestamp=1700000000), "timestamp", "RFC 3339"),
    (
        "timestamp without offset",
        lambda: point(timestamp="2025-01-01T00:00:00"),
        "timestamp",
        "offset",
    ),
    (
        "timestamp too old",
        lambda: point(at=now() - timedelta(days=8)),
        "timestamp",
        "before the window",
    ),
    ("timestamp in the future", lambda: point(at=now() + timedelta(hours=1)), "timestamp", "after"),
    ("tags not an object", lambda: point(tags=["a"]), "tags", "object"),  # type: ignore[arg-type]
    ("too many tags", lambda: point(tags={f"k{i}": "v" for i in range(17)}), "tags", "at most 16"),
    ("tag key with a colon", lambda: point(tags={"a:b": "v"}), "tags", "tag key"),
    ("tag key too long", lambda: point(tags={"k" * 65: "v"}), "tags", "tag key"),
    ("tag value not a string", lambda: point(tags={"k": 1}), "tags", "string value"),
    ("tag value empty", lambda: point(tags={"k": ""}), "tags", "1 to 256"),
    ("tag value too long", lambda: point(tags={"k": "v" * 257}), "tags", "1 to 256"),
    ("tag value with NUL", lambda: point(tags={"k": "a\x00b"}), "tags", "without NUL"),
    ("unknown field", lambda: point(unit="ms"), "unit", "unknown field"),
    ("point not an object", lambda: 42, "point", "JSON object"),
]


@pytest.mark.parametrize(
    ("bad", "field", "reason"),
    [pytest.param(bad, field, reason, id=case) for case, bad, field, reason in INVALID_POINTS],
)
async def test_each_rule_names_the_point_and_the_reason(
    client: Client, migrated_database_url: str, bad: Callable[[], Any], field: str, reason: str
) -> None:
    response = await client.post("/v1/metrics", json=batch(point("ok.metric"), bad()))

    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"].endswith("/invalid-request")
    assert problem["invalidPoints"] == 1
    (error,) = problem["errors"]
    assert error["index"] == 1
    assert error["field"] == field
    assert reason in error["reason"]
    # The valid point of the same batch was not written either.
    assert await point_count(migrated_database_url) == 0


async def test_every_bad_point_is_listed_and_nothing_is_written(
    client: Client, migrated_database_url: str
) -> None:
    response = await client.post(
        "/v1/metrics",
        json=batch(point("good.one"), point("9bad"), point("good.two"), point(value="inf")),
    )

    assert response.status_code == 400
    problem = response.json()
    assert problem["detail"] == "2 of 4 points are invalid; nothing was written"
    assert [(e["index"], e["field"]) for e in problem["errors"]] == [(1, "name"), (3, "value")]
    assert await point_count(migrated_database_url) == 0
    assert await fetch_value(migrated_database_url, "SELECT count(*) FROM metrics") == 0
    assert await fetch_value(migrated_database_url, "SELECT count(*) FROM series") == 0


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"points": [{"name": "a", "value": NaN}]}', id="NaN token"),
        pytest.param(b'{"points": [{"name": "a", "value": Infinity}]}', id="Infinity token"),
        pytest.param(b'{"points": [{"name": "a", "value": 1e999}]}', id="number out of range"),
        pytest.param(b'{"points": [', id="truncated"),
        pytest.param(b"[]", id="not an object"),
        pytest.param(b'{"points": []}', id="empty batch"),
        pytest.param(b'{"points": [], "extra": 1}', id="unknown top-level field"),
        pytest.param(b'{"points": [{"name": "\xff\xfe", "value": 1}]}', id="not UTF-8"),
        pytest.param(b'{"points": [{"name": "a", "tags": {"k": "\xc3"}}]}', id="cut UTF-8"),
        pytest.param(
            b'{"points": [{"name": "a", "tags": ' + b'{"a": ' * 1000 + b'"x"' + b"}" * 1002 + b"]}",
            id="tags nested 1000 deep",
        ),
        pytest.param(b'{"points": ' + b"[" * 100_000, id="100000 open brackets"),
    ],
)
async def test_bodies_that_are_not_a_batch_are_refused(client: Client, body: bytes) -> None:
    response = await client.post(
        "/v1/metrics", content=body, headers={"content-type": "application/json"}
    )

    assert response.status_code == 400, response.text
    assert response.json()["type"].endswith("/invalid-request")


async def test_a_failure_while_writing_rolls_back_the_whole_batch(
    client: Client, migrated_database_url: str
) -> None:
    """A batch whose write fails part-way (here: a row the database refuses) leaves no trace,
    not even the metric names and series it created before."""
    from tests.api.database import execute

    # A constraint the API's validation does not know about makes the last row fail.
    await execute(
        migrated_database_url,
        "ALTER TABLE sample_chunks ADD CONSTRAINT test_no_negative CHECK (0 <= ALL (point_values))",
    )
    response = await client.post(
        "/v1/metrics",
        json=batch(
            point("new.metric", value=1),
            point("new.metric", value=-1, at=now() - timedelta(seconds=5)),
        ),
    )

    assert response.status_code == 500
    assert await point_count(migrated_database_url) == 0
    assert await fetch_value(migrated_database_url, "SELECT count(*) FROM metrics") == 0


async def test_too_many_points_is_413(
    migrated_database_url: str, redis_url: str, api_key: IssuedKey
) -> None:
    settings = api_settings(migrated_database_url, redis_url, ingest=IngestSettings(max_points=3))
    async with AsyncTestClient(create_app(settings)) as client:
        client.headers.update(api_key.headers)
        response = await client.post("/v1/metrics", json=batch(*[point() for _ in range(4)]))
        accepted = await client.post("/v1/metrics", json=batch(*[point() for _ in range(3)]))

    assert response.status_code == 413, response.text
    assert response.json()["type"].endswith("/payload-too-large")
    assert response.json()["maxPoints"] == 3
    assert accepted.status_code == 201


async def test_body_over_the_limit_is_413(
    migrated_database_url: str, redis_url: str, api_key: IssuedKey
) -> None:
    settings = api_settings(
        migrated_database_url, redis_url, ingest=IngestSettings(max_body_bytes=1000)
    )
    big = json.dumps(batch(*[point() for _ in range(20)])).encode()
    assert len(big) > 1000

    async with AsyncTestClient(create_app(settings)) as client:
        response = await client.post(
            "/v1/metrics",
            content=big,
            headers={"content-type": "application/json", **api_key.headers},
        )

    # A chunked body without Content-Length is covered against a real server (tests/smoke).
    assert response.status_code == 413, response.text
    assert response.json()["type"].endswith("/payload-too-large")
    assert response.json()["maxBodyBytes"] == 1000
    assert await point_count(migrated_database_url) == 0


async def test_concurrent_batches_creating_the_same_metrics_all_succeed(
    client: Client, migrated_database_url: str
) -> None:
    """Batches that race to create overlapping new names (and series) neither fail nor
    deadlock, and each name is created once."""
    names = [f"race.{letter}" for letter in "abcdef"]
    moment = now() - timedelta(minutes=1)
    batches = [
        batch(
            *(
                point(name, at=moment + timedelta(seconds=start))
                for name in names[start:] + names[:start]
            )
        )
        for start in range(6)
    ]

    responses = await asyncio.gather(*(client.post("/v1/metrics", json=b) for b in batches))

    assert [response.status_code for response in responses] == [201] * 6
    assert sum(response.json()["newMetrics"] for response in responses) == 6
    assert await fetch_value(migrated_database_url, "SELECT count(*) FROM metrics") == 6
    assert await point_count(migrated_database_url) == 36
    assert await fetch_value(migrated_database_url, "SELECT count(*) FROM series") == 6


@pytest.mark.parametrize(
    ("value_json", "stored"),
    [
        pytest.param('1, "value": 2', 2.0, id="duplicate key keeps the last"),
        pytest.param("1e-400", 0.0, id="below the smallest double is 0"),
        pytest.param("5e-324", 5e-324, id="the smallest double is kept"),
    ],
)
async def test_documented_json_edge_cases_are_stored_as_docs_api_says(
    client: Client, migrated_database_url: str, value_json: str, stored: float
) -> None:
    at = (now() - timedelta(minutes=1)).isoformat()
    body = f'{{"points": [{{"name": "edge.case", "timestamp": "{at}", "value": {value_json}}}]}}'

    response = await client.post(
        "/v1/metrics", content=body.encode(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 201, response.text
    assert await fetch_value(migrated_database_url, "SELECT value FROM samples") == stored
