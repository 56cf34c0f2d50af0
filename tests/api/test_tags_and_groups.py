"""A metric's tag keys and values, and a series query grouped by one tag (one line per value)."""

from __future__ import annotations

from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.points import batch, now, point


async def _ingest(client: AsyncTestClient[Litestar], *points: dict[str, object]) -> None:
    answer = await client.post("/v1/metrics", json=batch(*points))
    assert answer.status_code == 201, answer.text


async def test_grouped_series_answers_one_line_per_tag_value(
    client: AsyncTestClient[Litestar],
) -> None:
    start = now().replace(second=0) - timedelta(minutes=10)
    await _ingest(
        client,
        point("req", value=1, at=start, tags={"host": "a", "dc": "x"}),
        point("req", value=3, at=start + timedelta(seconds=10), tags={"host": "a", "dc": "y"}),
        point("req", value=5, at=start, tags={"host": "b", "dc": "x"}),
        point("req", value=7, at=start + timedelta(minutes=1), tags={"dc": "x"}),
    )
    window = {
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=2)).isoformat(),
        "step": "1m",
        "agg": "sum",
    }
    answer = await client.get("/v1/metrics/req/groups", params={**window, "by": "host"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["by"] == "host"
    assert [(g["value"], [p["value"] for p in g["points"]]) for g in body["groups"]] == [
        ("a", [4.0]),
        ("b", [5.0]),
        (None, [7.0]),
    ]
    filtered = await client.get(
        "/v1/metrics/req/groups", params={**window, "by": "host", "tag": "dc:x"}
    )
    assert [(g["value"], g["points"][0]["value"]) for g in filtered.json()["groups"]] == [
        ("a", 1.0),
        ("b", 5.0),
        (None, 7.0),
    ]


async def test_too_many_groups_is_a_400_that_says_how_many(
    client: AsyncTestClient[Litestar],
) -> None:
    moment = now() - timedelta(minutes=1)
    await _ingest(client, *(point("wide", at=moment, tags={"id": str(i)}) for i in range(51)))
    answer = await client.get(
        "/v1/metrics/wide/groups",
        params={
            "by": "id",
            "start": (moment - timedelta(minutes=1)).isoformat(),
            "end": (moment + timedelta(minutes=1)).isoformat(),
        },
    )
    assert answer.status_code == 400
    assert answer.json()["groups"] == 51


async def test_tags_lists_keys_and_values_and_unknown_metrics_are_404(
    client: AsyncTestClient[Litestar],
) -> None:
    await _ingest(
        client,
        point("svc", tags={"host": "b", "env": "prod"}),
        point("svc", tags={"host": "a", "env": "prod"}, value=2),
        point("svc", tags={"host": "c"}, value=3),
    )
    answer = await client.get("/v1/metrics/svc/tags")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "metric": "svc",
        "tags": [
            {"key": "env", "values": ["prod"], "truncated": False},
            {"key": "host", "values": ["a", "b", "c"], "truncated": False},
        ],
    }
    assert (await client.get("/v1/metrics/nothing/tags")).status_code == 404
