"""The fast (typed decode) and thorough (point by point) validation paths agree.

The fast path may only accept a batch the thorough path accepts, with the same points;
everything else falls through to the thorough path, which words the errors.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudmetrics.errors import InvalidRequest
from cloudmetrics.metrics.fast_validation import fast_parse
from cloudmetrics.metrics.models import Point
from cloudmetrics.metrics.validation import parse_point_by_point
from cloudmetrics.settings import IngestSettings

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
SETTINGS = IngestSettings(max_tags=3)

names = st.one_of(
    st.sampled_from(["cpu.load", "a", "_x:y-z.w", "1bad", "", "cpu\n", "a b", "a" * 201]),
    st.text(max_size=12),
)
timestamps = st.one_of(
    st.integers(-3 * 86400 * 8, 3600).map(
        lambda seconds: (NOW + timedelta(seconds=seconds)).isoformat()
    ),
    st.sampled_from(["2025-06-01T12:00:00", "yesterday", "2025-06-01T13:00:00+02:00"]),
    st.integers(),
)
values = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(10**400), 10**400),
    st.sampled_from(["NaN", "1.0", True, None]),
)
tag_keys = st.one_of(st.sampled_from(["host", "a:b", "k" * 65, "_ok", "9x"]), st.text(max_size=5))
tag_values = st.one_of(
    st.text(max_size=5), st.sampled_from(["", "v" * 257, "a\x00b", "ok"]), st.integers()
)
tags = st.dictionaries(tag_keys, tag_values, max_size=4)


@st.composite
def raw_points(draw: st.DrawFn) -> Any:
    point: dict[str, Any] = {}
    for field, strategy in (
        ("name", names),
        ("timestamp", timestamps),
        ("value", values),
        ("tags", tags),
    ):
        if draw(st.integers(0, 9)) > 0:  # now and then, leave the field out
            point[field] = draw(strategy)
    if draw(st.integers(0, 19)) == 0:
        point["unit"] = "ms"
    return point


def _thorough(body: bytes) -> list[Point] | None:
    try:
        return parse_point_by_point(body, SETTINGS, NOW)
    except InvalidRequest:
        return None


def _same(left: list[Point], right: list[Point]) -> bool:
    return [(p.name, p.timestamp, p.value, p.tags_json) for p in left] == [
        (p.name, p.timestamp, p.value, p.tags_json) for p in right
    ]


@settings(max_examples=300, deadline=None)
@given(st.lists(raw_points(), min_size=1, max_size=4))
def test_fast_path_accepts_only_what_the_thorough_path_accepts(points: list[Any]) -> None:
    body = msgspec.json.encode({"points": points})

    fast = fast_parse(body, SETTINGS, NOW)

    if fast is not None:
        thorough = _thorough(body)
        assert thorough is not None, points
        assert _same(fast, thorough)


valid_points = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["cpu.load", "a", "_x:y-z.w", "A" * 200]),
        "timestamp": st.integers(-7 * 86400, 600).map(
            lambda seconds: (NOW + timedelta(seconds=seconds)).isoformat()
        ),
        "value": st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-9, 9)),
    },
    optional={
        "tags": st.dictionaries(
            st.sampled_from(["host", "_ok", "a.b-c"]),
            st.text(min_size=1, max_size=256).filter(lambda text: "\x00" not in text),
            max_size=3,
        )
    },
)


@settings(max_examples=200, deadline=None)
@given(st.lists(valid_points, min_size=1, max_size=5))
def test_clean_batches_take_the_fast_path_with_the_same_points(points: list[Any]) -> None:
    body = msgspec.json.encode({"points": points})

    fast = fast_parse(body, SETTINGS, NOW)
    thorough = _thorough(body)

    assert fast is not None
    assert thorough is not None
    assert _same(fast, thorough)
