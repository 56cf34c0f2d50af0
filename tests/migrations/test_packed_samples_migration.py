"""0023 moves raw points to packed storage while the previous release keeps writing.

The previous release writes only through `SELECT record_samples(...)` and reads `samples`; both
keep working across the migration. Its batches here carry late points (hours already written)
and duplicates (retries of whole earlier batches, and repeated timestamps within one), before,
during and after the migration, and after `cloudmetrics maintain` has packed everything. At
every stage the stored points, their count and the hourly rollups equal a reference computed
here from the batches in the order the database accepted them, first value winning.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

import asyncpg

from cloudmetrics.migrations.runner import MigrationRunner
from cloudmetrics.storage.packing import pack_closed_windows
from tests.migrations.schema import REPOSITORY_MIGRATIONS

# A day back, on the hour: every hour written is closed, so maintenance packs all of it.
BASE = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
HOURS = 5
SERIES = 3

Batch = list[tuple[int, datetime, float]]  # series id, timestamp, value
# The previous release's write, word for word (service/cloudmetrics/metrics/ingest.py).
OLD_RECORD = "SELECT record_samples($1::bigint[], $2::timestamptz[], $3::double precision[])"


def make_batches(seed: int) -> Iterator[Batch]:
    """Random batches over the same few hours: late points, repeated timestamps, retries."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    batches: list[Batch] = []
    while True:
        if batches and rng.random() < 0.25:
            yield rng.choice(batches)  # a retry of a whole earlier batch
            continue
        batch: Batch = []
        for _ in range(rng.randint(1, 40)):
            # Whole seconds from a small range, so the same timestamp comes back often.
            second = rng.randrange(0, HOURS * 3600, 90)
            value = rng.randint(-400, 400) / 4  # sums of these are exact in float8
            batch.append((rng.randint(1, SERIES), BASE + timedelta(seconds=second), value))
        batches.append(batch)
        yield batch


async def write(connection: asyncpg.Connection[asyncpg.Record], batch: Batch) -> int:
    new: int = await connection.fetchval(
        OLD_RECORD, [p[0] for p in batch], [p[1] for p in batch], [p[2] for p in batch]
    )
    return new


class OldRelease:
    """A writer of the previous release: each batch until it is accepted, as a client retries
    a batch that failed whole; records the order in which the database accepted them."""

    def __init__(self, url: str, batches: Iterable[Batch]) -> None:
        self.url = url
        self.batches = batches
        self.accepted: list[Batch] = []
        self.failures = 0

    async def run(self, stop: asyncio.Event | None = None) -> None:
        connection = await asyncpg.connect(self.url)
        try:
            for batch in self.batches:
                while True:
                    try:
                        await write(connection, batch)
                    except asyncpg.PostgresError:
                        # A batch caught in the rename fails whole; its retry lands.
                        self.failures += 1
                        await asyncio.sleep(0.01)
                        continue
                    self.accepted.append(batch)
                    break
                # Readers of the previous release see every point through the view.
                await connection.fetchval("SELECT count(*) FROM samples")
                if stop is not None and stop.is_set():
                    return
                await asyncio.sleep(0)
        finally:
            await connection.close()


def reference(accepted: list[Batch]) -> dict[tuple[int, datetime], float]:
    stored: dict[tuple[int, datetime], float] = {}
    for batch in accepted:
        for series, moment, value in batch:
            stored.setdefault((series, moment), value)
    return stored


def hourly(
    stored: dict[tuple[int, datetime], float],
) -> dict[tuple[int, datetime], tuple[int, float, float, float]]:
    values: dict[tuple[int, datetime], list[float]] = defaultdict(list)
    for (series, moment), value in stored.items():
        values[(series, moment.replace(minute=0, second=0))].append(value)
    return {key: (len(found), sum(found), min(found), max(found)) for key, found in values.items()}


async def check(url: str, accepted: list[Batch]) -> None:
    expected = reference(accepted)
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT series_id, ts, value FROM samples")
        rollups = await connection.fetch("SELECT * FROM rollups_1h")
    finally:
        await connection.close()
    assert len(rows) == len(expected)
    assert {(row["series_id"], row["ts"]): row["value"] for row in rows} == expected
    assert {
        (row["series_id"], row["bucket"]): (row["count"], row["sum"], row["min"], row["max"])
        for row in rollups
    } == hourly(expected)


async def test_points_neither_lost_nor_doubled_while_the_old_release_writes(
    database_url: str,
) -> None:
    runner = MigrationRunner(database_url, REPOSITORY_MIGRATIONS)
    await runner.up(to="0019")
    connection = await asyncpg.connect(database_url)
    try:
        metric = await connection.fetchval(
            "INSERT INTO metrics (project_id, name) VALUES (1, 'm') RETURNING id"
        )
        for index in range(1, SERIES + 1):
            await connection.execute(
                "INSERT INTO series (metric_id, tags, tags_hash) VALUES ($1, $2, $3)",
                metric,
                f'{{"i": "{index}"}}',
                str(index).encode(),
            )
    finally:
        await connection.close()

    before = OldRelease(database_url, itertools.islice(make_batches(1), 60))
    await before.run()
    await check(database_url, before.accepted)

    during = OldRelease(database_url, make_batches(2))
    stop = asyncio.Event()
    writing = asyncio.create_task(during.run(stop))
    await asyncio.sleep(0.3)
    await runner.up()
    await asyncio.sleep(0.3)
    stop.set()
    await writing
    accepted = before.accepted + during.accepted
    await check(database_url, accepted)

    connection = await asyncpg.connect(database_url)
    try:
        assert await connection.fetchval("SELECT count(*) FROM sample_rows") > 0
        # A retry of a batch stored as old rows adds nothing.
        assert await write(connection, before.accepted[0]) == 0
        packed = await pack_closed_windows(connection, datetime.now(UTC))
        assert packed > 0
        left = await connection.fetchval("SELECT count(*) FROM sample_rows")
        chunks = await connection.fetchval("SELECT count(*) FROM sample_chunks")
        # Now every batch meets blocks only, and retries still add nothing.
        assert [await write(connection, batch) for batch in accepted[:20]] == [0] * 20
    finally:
        await connection.close()
    assert (left, chunks) == (0, 0)
    await check(database_url, accepted)

    after = OldRelease(database_url, itertools.islice(make_batches(3), 40))
    await after.run()
    await check(database_url, accepted + after.accepted)
