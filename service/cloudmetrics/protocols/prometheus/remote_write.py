"""A remote write 1.0 request (snappy-decoded) as samples and metadata.

`__name__` is the metric, every other label a tag. Prometheus never sends an empty label value
(it means "no such label"), so one that arrives is left out as Prometheus itself would. Values
that are not numbers, above all the staleness marker Prometheus writes when a series
disappears, are skipped, never refused (docs/adr/0026).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from google.protobuf.message import DecodeError

from cloudmetrics.errors import InvalidRequest
from cloudmetrics.metrics.metadata import Metadata
from cloudmetrics.metrics.validation import Sample
from cloudmetrics.protocols.ingest import Decoded
from cloudmetrics.protocols.prometheus.messages import METRIC_TYPE_NAMES, WriteRequest
from cloudmetrics.protocols.prometheus.timestamps import from_milliseconds

NAME_LABEL = "__name__"


def decode_write_request(data: bytes) -> Decoded:
    try:
        request: Any = WriteRequest.FromString(data)
    except DecodeError as error:
        raise InvalidRequest(f"the body is not a remote write WriteRequest ({error})") from None
    samples: list[Sample] = []
    refused: Counter[str] = Counter()
    skipped = 0
    for series in request.timeseries:
        count = len(series.samples) + len(series.histograms)
        if series.histograms:
            refused["native histograms are not stored; send classic histograms"] += len(
                series.histograms
            )
        if not series.samples:
            continue
        tags: dict[str, str] = {}
        name: str | None = None
        problem: str | None = None
        for label in series.labels:
            if label.name == NAME_LABEL:
                name = label.value
            elif label.name in tags:
                problem = f"the label {label.name[:70]!r} is given twice in one series"
            elif label.value:
                tags[label.name] = label.value
        if problem is None and not name:
            problem = "a series without a __name__ label"
        if problem is not None or name is None:
            refused[problem or ""] += count - len(series.histograms)
            continue
        for sample in series.samples:
            if not math.isfinite(sample.value):
                skipped += 1
                continue
            moment = from_milliseconds(sample.timestamp)
            if moment is None:
                refused["a timestamp outside the years 1 to 9999"] += 1
                continue
            samples.append(Sample(name, moment, sample.value, tags))
    metadata = [
        Metadata(
            name=entry.metric_family_name,
            type=METRIC_TYPE_NAMES.get(entry.type, "unknown"),
            help=entry.help,
            unit=entry.unit,
        )
        for entry in request.metadata
    ]
    return Decoded(samples=samples, refused=refused, skipped=skipped, metadata=metadata)
