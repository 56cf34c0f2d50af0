"""Answering a remote read request (SAMPLES responses) from the project's raw points.

Each query's matchers select series (series_lookup.py); their points in the query's window come
from the one raw read, `storage.samples.read_raw_samples`, a chunk of series at a time so that
a reply that would pass `max_samples` is refused before it is built. Prometheus's window is
inclusive at both ends; ours is [start, end), so the end moves one millisecond on.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from google.protobuf.message import DecodeError, Message

from cloudmetrics.database import Connection
from cloudmetrics.errors import InvalidRequest
from cloudmetrics.protocols.prometheus import messages
from cloudmetrics.protocols.prometheus.matchers import from_wire, require_selective
from cloudmetrics.protocols.prometheus.series_lookup import FoundSeries, find_series
from cloudmetrics.protocols.prometheus.timestamps import from_milliseconds
from cloudmetrics.settings import QuerySettings
from cloudmetrics.storage.samples import read_raw_samples

# Series per raw read: large enough for few round trips, small enough to stop early.
READ_CHUNK = 500
MAX_QUERIES = 16


def decode_read_request(data: bytes) -> Message:
    try:
        request: Any = messages.ReadRequest.FromString(data)
    except DecodeError as error:
        raise InvalidRequest(f"the body is not a remote read ReadRequest ({error})") from None
    accepted = list(request.accepted_response_types)
    if accepted and messages.RESPONSE_SAMPLES not in accepted:
        raise InvalidRequest(
            "only SAMPLES responses are served; accept SAMPLES in accepted_response_types"
        )
    if not 1 <= len(request.queries) <= MAX_QUERIES:
        raise InvalidRequest(f"a read request carries 1 to {MAX_QUERIES} queries")
    return request


async def answer(
    connection: Connection, project_id: int, read_request: Message, settings: QuerySettings
) -> bytes:
    """The serialized ReadResponse, one QueryResult per query, in order."""
    # Messages declared at run time have no static fields: read them as Any.
    request: Any = read_request
    response: Any = messages.ReadResponse()
    budget = settings.max_read_samples
    for query in request.queries:
        start = from_milliseconds(query.start_timestamp_ms)
        end = from_milliseconds(query.end_timestamp_ms)
        if start is None or end is None or end < start:
            raise InvalidRequest("a query's window must run forward between the years 1 and 9999")
        matchers = from_wire(query.matchers)
        require_selective(matchers)
        found = await find_series(connection, project_id, matchers, limit=settings.max_read_series)
        result = response.results.add()
        for index in range(0, len(found), READ_CHUNK):
            chunk = found[index : index + READ_CHUNK]
            samples = await read_raw_samples(
                connection, [s.id for s in chunk], start, end + timedelta(milliseconds=1)
            )
            budget -= sum(len(stamps) for stamps, _ in samples.values())
            if budget < 0:
                raise InvalidRequest(
                    f"the read would return more than {settings.max_read_samples} samples; "
                    "query a shorter window or fewer series",
                    extra={"maxSamples": settings.max_read_samples},
                )
            _add_series(result, chunk, samples)
    serialized: bytes = response.SerializeToString()
    return serialized


def _add_series(
    query_result: Message,
    chunk: list[FoundSeries],
    samples: dict[int, tuple[list[int], list[float]]],
) -> None:
    result: Any = query_result
    for series in chunk:
        if series.id not in samples:
            continue
        stamps, values = samples[series.id]
        target = result.timeseries.add()
        # Prometheus expects each series' labels sorted by name.
        target.labels.extend(
            messages.Label(name=name, value=series.labels[name]) for name in sorted(series.labels)
        )
        target.samples.extend(
            messages.Sample(value=value, timestamp=stamp)
            for stamp, value in zip(stamps, values, strict=True)
        )
