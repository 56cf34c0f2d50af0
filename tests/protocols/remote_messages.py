"""Building remote write and read requests as Prometheus sends them: snappy-compressed
protobuf of the messages the service declares (a real Prometheus decodes the same bytes in
test_prometheus_peers.py)."""

from __future__ import annotations

import struct
from typing import Any

import cramjam

from cloudmetrics.protocols.prometheus import messages

STALE_NAN = struct.unpack("<d", struct.pack("<Q", 0x7FF0000000000002))[0]
HEADERS = {
    "Content-Encoding": "snappy",
    "Content-Type": "application/x-protobuf",
    "X-Prometheus-Remote-Write-Version": "0.1.0",
}


def snappy(data: bytes) -> bytes:
    return bytes(cramjam.snappy.compress_raw(data))


def write_request(
    series: list[tuple[dict[str, str], list[tuple[int, float]]]],
    metadata: list[tuple[str, int, str, str]] = (),  # type: ignore[assignment]
) -> bytes:
    request: Any = messages.WriteRequest()
    for labels, samples in series:
        added = request.timeseries.add()
        for name in sorted(labels):
            added.labels.add(name=name, value=labels[name])
        for stamp, value in samples:
            added.samples.add(timestamp=stamp, value=value)
    for family, kind, help_text, unit in metadata:
        request.metadata.add(metric_family_name=family, type=kind, help=help_text, unit=unit)
    return snappy(request.SerializeToString())


def read_request(start_ms: int, end_ms: int, matchers: list[tuple[int, str, str]]) -> bytes:
    request: Any = messages.ReadRequest()
    query = request.queries.add(start_timestamp_ms=start_ms, end_timestamp_ms=end_ms)
    for kind, name, value in matchers:
        query.matchers.add(type=kind, name=name, value=value)
    return snappy(request.SerializeToString())


def read_response(body: bytes) -> list[list[tuple[dict[str, str], list[tuple[int, float]]]]]:
    response: Any = messages.ReadResponse.FromString(bytes(cramjam.snappy.decompress_raw(body)))
    return [
        [
            (
                {label.name: label.value for label in series.labels},
                [(sample.timestamp, sample.value) for sample in series.samples],
            )
            for series in result.timeseries
        ]
        for result in response.results
    ]
