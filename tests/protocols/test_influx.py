"""Influx line protocol on /api/v2/write and /write: precisions, credentials, partial writes."""

from __future__ import annotations

import base64
import gzip
import time

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support.identity import IssuedKey

NOW_S = int(time.time()) - 60
# The same moment in every precision InfluxDB accepts.
PRECISIONS = {
    "ns": NOW_S * 10**9,
    "us": NOW_S * 10**6,
    "ms": NOW_S * 10**3,
    "s": NOW_S,
}


async def _metric_names(client: AsyncTestClient[Litestar], selector: str) -> set[str]:
    answer = await client.get("/api/v1/series", params={"match[]": selector})
    assert answer.status_code == 200, answer.text
    return {labels["__name__"] for labels in answer.json()["data"]}


@pytest.mark.parametrize("precision", list(PRECISIONS))
async def test_each_precision_lands_on_the_same_moment(
    client: AsyncTestClient[Litestar], api_key: IssuedKey, precision: str
) -> None:
    line = f"weather,station=oslo temperature=21.5,humidity=40i {PRECISIONS[precision]}\n"
    answer = await client.post(
        f"/api/v2/write?precision={precision}&org=o&bucket=b",
        content=line,
        headers={"Authorization": f"Token {api_key.text}"},
    )
    assert answer.status_code == 204, answer.text
    series = await client.get(
        "/v1/metrics/weather_temperature/series",
        params={"start": _iso(NOW_S - 1), "end": _iso(NOW_S + 1), "step": "1s", "agg": "max"},
    )
    assert series.status_code == 200, series.text
    points = series.json()["points"]
    assert [(p["timestamp"], p["value"]) for p in points] == [(_iso(NOW_S), 21.5)]
    assert series.json()["metric"] == "weather_temperature"


def _iso(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


async def test_v1_takes_the_key_as_password_or_basic_auth_and_v1_precisions(
    anonymous_client: AsyncTestClient[Litestar], api_key: IssuedKey
) -> None:
    minutes = NOW_S // 60
    by_password = await anonymous_client.post(
        f"/write?db=telegraf&u=anyone&p={api_key.text}&precision=m",
        content=f"disk,path=/ used=5 {minutes}",
    )
    assert by_password.status_code == 204, by_password.text
    basic = base64.b64encode(f"anyone:{api_key.text}".encode()).decode()
    by_basic = await anonymous_client.post(
        "/write?db=telegraf",
        content=gzip.compress(b"disk,path=/home used=7"),
        headers={"Authorization": f"Basic {basic}", "Content-Encoding": "gzip"},
    )
    assert by_basic.status_code == 204, by_basic.text
    no_key = await anonymous_client.post("/write?db=telegraf", content=b"disk used=1")
    assert no_key.status_code == 401
    wrong = await anonymous_client.post("/write?p=cm_nope", content=b"disk used=1")
    assert wrong.status_code == 401


async def test_a_partial_write_stores_the_good_lines_and_names_the_bad_ones(
    client: AsyncTestClient[Litestar],
) -> None:
    body = "\n".join(
        (
            'app,host=a requests=3i,status="ok",healthy=true',
            "app,host=a broken",
            "app,host=b requests=4i",
            "app,host=b requests=NaNx",
        )
    )
    answer = await client.post("/api/v2/write", content=body)
    assert answer.status_code == 400
    problem = answer.json()
    assert problem["refused"] == 2
    assert problem["written"] == 2
    assert "line 2" in problem["detail"]
    assert "line 4" in problem["detail"]
    # String and boolean fields are skipped: only the numbers became metrics.
    assert await _metric_names(client, '{__name__=~"app_.*"}') == {"app_requests"}


async def test_an_unknown_precision_is_a_400(client: AsyncTestClient[Litestar]) -> None:
    answer = await client.post("/api/v2/write?precision=m", content=b"x v=1")
    assert answer.status_code == 400
    assert "precision" in answer.json()["detail"]
