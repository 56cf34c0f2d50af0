"""Rollups answer exactly what raw aggregation answers, whatever the data, range and step.

Random points (late and out of order, some batches retried, some timestamps repeated) are
written through the ingest path, with the closed hours packed into blocks between some batches
(as `cloudmetrics maintain` does while ingest goes on), then random queries are answered twice:
by the query path, which reads the coarsest rollup that fits plus the raw tail, and by plain
aggregation over the stored points. Both must agree exactly, and with a reference computed here
in Python from the points as sent (first value per series and timestamp wins).

Values are multiples of 1/4 of modest size: their sums are exact in double precision, so "exactly"
means bit for bit. (Over arbitrary doubles, float addition depends on order, and so does raw
aggregation itself: docs/adr/0015.)
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudmetrics.metrics import queries
from cloudmetrics.metrics.ingest import write_points
from cloudmetrics.metrics.models import Aggregate, Point, SeriesPoint
from cloudmetrics.metrics.resolution import RAW, choose_resolution
from cloudmetrics.metrics.series_ids import SeriesIdCache
from cloudmetrics.metrics.series_params import SeriesQuery
from cloudmetrics.storage.packing import pack_closed_windows

# The project migration 0002 creates for the metrics that predate projects.
PROJECT = 1

# Two days back, on the hour: inside the partitions every migrated database has.
BASE = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=2)
SPAN_SECONDS = 3 * 3600
TAG_SETS = ({"host": "a", "role": "db"}, {"host": "b", "role": "db"}, {"host": "a"})
FILTERS: tuple[dict[str, str], ...] = (
    {},
    {"host": "a"},
    {"role": "db"},
    {"host": "b", "role": "db"},
)
AGGREGATES: tuple[Aggregate, ...] = ("avg", "min", "max", "sum", "count")

_metric_names: Iterator[int] = itertools.count()

RawPoint = tuple[int, int, float]  # tag set index, seconds after BASE, value

points_strategy = st.lists(
    st.tuples(
        st.integers(0, len(TAG_SETS) - 1),
        # Clustered on a few minutes at times, so that repeated timestamps happen.
        st.one_of(st.integers(0, SPAN_SECONDS - 1), st.integers(3590, 3730)),
        st.integers(-4000, 4000).map(lambda quarter: quarter / 4),
    ),
    min_size=1,
    max_size=200,
)


@st.composite
def queries_strategy(draw: st.DrawFn) -> SeriesQuery:
    step = draw(
        st.one_of(
            st.sampled_from([60, 120, 300, 900, 3600, 7200]),
            st.integers(1, 4000),
        )
    )
    start = draw(
        st.one_of(
            st.integers(-1, 3).map(lambda hour: hour * 3600),
            st.integers(-60, 180).map(lambda minute: minute * 60),
            st.integers(-3600, SPAN_SECONDS),
        )
    )
    length = draw(
        st.one_of(
            st.integers(1, SPAN_SECONDS + 3600),
            # Ends just past a whole minute or hour, where rollups stop and the raw tail begins.
            st.tuples(st.integers(1, 4), st.integers(1, 90)).map(lambda h: h[0] * 3600 + h[1]),
        )
    )
    buckets = -(-length // step)
    if buckets > 2000:
        length = step * 2000
    return SeriesQuery(
        start=BASE + timedelta(seconds=start),
        end=BASE + timedelta(seconds=start + length),
        step=timedelta(seconds=step),
        agg=draw(st.sampled_from(AGGREGATES)),
        tags=dict(draw(st.sampled_from(FILTERS))),
    )


_RAW_AGGREGATES = {
    "avg": "avg(p.value)",
    "min": "min(p.value)",
    "max": "max(p.value)",
    "sum": "sum(p.value)",
    "count": "count(*)::double precision",
}
_RAW_SQL = """
SELECT date_bin($2::interval, p.ts, $3::timestamptz) AS bucket, {aggregate} AS value
FROM samples AS p JOIN series AS s ON s.id = p.series_id
WHERE s.metric_id = $1 AND s.tags @> $5::jsonb AND p.ts >= $3 AND p.ts < $4
GROUP BY 1 ORDER BY 1
"""


async def raw_aggregation(
    connection: asyncpg.Connection[asyncpg.Record], metric: int, query: SeriesQuery
) -> list[SeriesPoint]:
    rows = await connection.fetch(
        _RAW_SQL.format(aggregate=_RAW_AGGREGATES[query.agg]),
        metric,
        query.step,
        query.start,
        query.end,
        query.tags_json,
    )
    return [SeriesPoint(timestamp=row["bucket"], value=row["value"]) for row in rows]


def python_reference(batches: list[list[RawPoint]], query: SeriesQuery) -> list[SeriesPoint]:
    stored: dict[tuple[int, int], float] = {}
    for batch in batches:
        for tag_set, second, value in batch:
            stored.setdefault((tag_set, second), value)
    buckets: dict[datetime, list[float]] = defaultdict(list)
    for (tag_set, second), value in stored.items():
        moment = BASE + timedelta(seconds=second)
        if not query.start <= moment < query.end:
            continue
        if any(TAG_SETS[tag_set].get(key) != want for key, want in query.tags.items()):
            continue
        bucket = query.start + ((moment - query.start) // query.step) * query.step
        buckets[bucket].append(value)
    return [
        SeriesPoint(timestamp=b, value=_combine(query.agg, buckets[b])) for b in sorted(buckets)
    ]


def _combine(agg: Aggregate, values: list[float]) -> float:
    # Summed in a fixed order; exact for these values whatever the order.
    total = sum(values)
    answers = {
        "avg": total / len(values),
        "min": min(values),
        "max": max(values),
        "sum": total,
        "count": float(len(values)),
    }
    return float(answers[agg])


async def write_and_compare(
    url: str, batches: list[list[RawPoint]], checks: list[SeriesQuery], packed: set[int]
) -> None:
    name = f"prop.m{next(_metric_names)}"
    connection = await asyncpg.connect(url)
    cache = SeriesIdCache()
    try:
        for index, batch in enumerate(batches):
            if index in packed:
                # Later batches, retries included, then meet blocks as well as chunks.
                await pack_closed_windows(connection, datetime.now(UTC))
            points = [
                Point(
                    name,
                    BASE + timedelta(seconds=second),
                    value,
                    msgspec.json.encode(TAG_SETS[tag_set]).decode(),
                )
                for tag_set, second, value in batch
            ]
            written = await write_points(connection, PROJECT, points, cache)
            cache.add(written.series.items())
        metric = await queries.metric_id(connection, PROJECT, name)
        assert metric is not None
        for query in checks:
            answered = await queries.series(connection, metric, query, choose_resolution(query))
            raw = await raw_aggregation(connection, metric, query)
            assert answered == raw, (query, choose_resolution(query))
            assert answered == python_reference(batches, query), query
            assert await queries.series(connection, metric, query, RAW) == raw
    finally:
        await connection.close()


@pytest.fixture(scope="module")
def property_database(database_factory: object) -> str:
    from tests.support.databases import DatabaseFactory

    assert isinstance(database_factory, DatabaseFactory)

    async def create() -> str:
        from cloudmetrics.migrations.runner import MigrationRunner
        from cloudmetrics.settings import Settings

        url = await database_factory.create("rollups")
        await MigrationRunner(url, Settings().migrations_dir).up()
        return url

    return asyncio.run(create())


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    points=points_strategy,
    batch_size=st.integers(1, 50),
    order=st.randoms(use_true_random=False),
    retried=st.lists(st.integers(0, 10), max_size=3),
    packed=st.sets(st.integers(0, 12), max_size=2),
    checks=st.lists(queries_strategy(), min_size=1, max_size=4),
)
def test_rollup_answers_equal_raw_aggregation_exactly(
    property_database: str,
    points: list[RawPoint],
    batch_size: int,
    order: object,
    retried: list[int],
    packed: set[int],
    checks: list[SeriesQuery],
) -> None:
    import random

    assert isinstance(order, random.Random)
    batches = [points[i : i + batch_size] for i in range(0, len(points), batch_size)]
    # Batches arrive in any order: late points land in rollups that already hold others.
    order.shuffle(batches)
    # And some are sent again, as a client retrying after a timeout would.
    batches += [batches[i % len(batches)] for i in retried]
    asyncio.run(write_and_compare(property_database, batches, checks, packed))
