"""An OTLP ExportMetricsServiceRequest as samples (naming.py has the naming rules).

- gauge: one sample per point;
- sum: cumulative and monotonic is a counter (`_total`); cumulative and not monotonic a
  gauge; delta is refused with a message (a collector's deltatocumulative processor turns it
  into cumulative), since a delta stored as a value would read as a counter reset per point;
- histogram (cumulative): `_bucket{le}` with cumulative counts and `le="+Inf"`, `_sum` when
  the point has one, `_count`; delta is refused as for sums;
- summary: `{quantile}` series, `_sum`, `_count`;
- exponential histogram: refused with a message (no bucket layout of ours fits it losslessly).
Points flagged "no recorded value" (OTLP's staleness) are skipped, as are NaN and infinities.
Every sample remembers its data point, so partial_success counts data points, as OTLP does.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import msgspec
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.metrics.v1.metrics_pb2 import (
    HistogramDataPoint,
    Metric,
    NumberDataPoint,
    SummaryDataPoint,
)

from cloudmetrics.metrics.metadata import Metadata
from cloudmetrics.metrics.validation import Sample
from cloudmetrics.protocols.ingest import Decoded
from cloudmetrics.protocols.otlp import naming

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CUMULATIVE, DELTA = 2, 1
NO_RECORDED_VALUE = 1
JOB_ATTRIBUTES = ("service.name", "service.namespace", "service.instance.id")
DELTA_REFUSED = (
    "delta temporality is not stored; send cumulative (the collector's deltatocumulative "
    "processor converts it)"
)
EXPONENTIAL_REFUSED = (
    "exponential histograms are not stored; configure explicit bucket histograms "
    "(the SDK's ExplicitBucketHistogramAggregation)"
)


@dataclass
class Translation:
    samples: list[Sample] = field(default_factory=list[Sample])
    # The data point each sample came from (an ordinal over the request).
    origins: list[int] = field(default_factory=list[int])
    refused: Counter[str] = field(default_factory=Counter[str])
    refused_points: int = 0
    skipped: int = 0
    metadata: list[Metadata] = field(default_factory=list[Metadata])
    points: int = 0

    def decoded(self) -> Decoded:
        return Decoded(self.samples, self.refused, self.skipped, self.metadata)


def translate(request: ExportMetricsServiceRequest) -> Translation:
    out = Translation()
    for resource_metrics in request.resource_metrics:
        attributes = _attributes(resource_metrics.resource.attributes)
        base = _job_labels(attributes)
        newest: datetime | None = None
        for scope_metrics in resource_metrics.scope_metrics:
            scope = scope_metrics.scope
            scoped = dict(base)
            if scope.name:
                scoped["otel_scope_name"] = scope.name
            if scope.version:
                scoped["otel_scope_version"] = scope.version
            for metric in scope_metrics.metrics:
                moment = _metric(out, metric, scoped)
                if moment is not None and (newest is None or moment > newest):
                    newest = moment
        _target_info(out, attributes, base, newest)
    return out


def _metric(out: Translation, metric: Metric, scoped: dict[str, str]) -> datetime | None:
    kind = metric.WhichOneof("data")
    newest: datetime | None = None
    if kind == "gauge":
        name = naming.metric_name(metric.name, metric.unit, gauge=True)
        out.metadata.append(Metadata(name, "gauge", metric.description, metric.unit))
        for point in metric.gauge.data_points:
            newest = _later(newest, _number(out, name, point, scoped))
    elif kind == "sum":
        data = metric.sum
        counter = data.is_monotonic
        name = naming.metric_name(metric.name, metric.unit, counter=counter, gauge=not counter)
        if data.aggregation_temporality != CUMULATIVE:
            _refuse(out, len(data.data_points), DELTA_REFUSED)
            return None
        kind_name = "counter" if counter else "gauge"
        out.metadata.append(Metadata(name, kind_name, metric.description, metric.unit))
        for point in data.data_points:
            newest = _later(newest, _number(out, name, point, scoped))
    elif kind == "histogram":
        data = metric.histogram
        if data.aggregation_temporality != CUMULATIVE:
            _refuse(out, len(data.data_points), DELTA_REFUSED)
            return None
        name = naming.metric_name(metric.name, metric.unit)
        out.metadata.append(Metadata(name, "histogram", metric.description, metric.unit))
        for point in data.data_points:
            newest = _later(newest, _histogram(out, name, point, scoped))
    elif kind == "summary":
        name = naming.metric_name(metric.name, metric.unit)
        out.metadata.append(Metadata(name, "summary", metric.description, metric.unit))
        for point in metric.summary.data_points:
            newest = _later(newest, _summary(out, name, point, scoped))
    elif kind == "exponential_histogram":
        _refuse(out, len(metric.exponential_histogram.data_points), EXPONENTIAL_REFUSED)
    return newest


def _number(
    out: Translation, name: str, point: NumberDataPoint, scoped: dict[str, str]
) -> datetime | None:
    value = point.as_double if point.WhichOneof("value") == "as_double" else float(point.as_int)
    return _emit(out, point, [(name, {}, value)], scoped)


def _histogram(
    out: Translation, name: str, point: HistogramDataPoint, scoped: dict[str, str]
) -> datetime | None:
    emitted: list[tuple[str, dict[str, str], float]] = []
    running = 0
    bounds = list(point.explicit_bounds)
    counts = list(point.bucket_counts)
    for bound, count in zip(bounds, counts, strict=False):
        running += count
        emitted.append((f"{name}_bucket", {"le": _le(bound)}, float(running)))
    emitted.append((f"{name}_bucket", {"le": "+Inf"}, float(point.count)))
    if point.HasField("sum"):
        emitted.append((f"{name}_sum", {}, point.sum))
    emitted.append((f"{name}_count", {}, float(point.count)))
    return _emit(out, point, emitted, scoped)


def _summary(
    out: Translation, name: str, point: SummaryDataPoint, scoped: dict[str, str]
) -> datetime | None:
    emitted: list[tuple[str, dict[str, str], float]] = [
        (name, {"quantile": _le(quantile.quantile)}, quantile.value)
        for quantile in point.quantile_values
    ]
    emitted.append((f"{name}_sum", {}, point.sum))
    emitted.append((f"{name}_count", {}, float(point.count)))
    return _emit(out, point, emitted, scoped)


def _emit(
    out: Translation,
    point: NumberDataPoint | HistogramDataPoint | SummaryDataPoint,
    emitted: Sequence[tuple[str, dict[str, str], float]],
    scoped: dict[str, str],
) -> datetime | None:
    ordinal = out.points
    out.points += 1
    if point.flags & NO_RECORDED_VALUE:
        out.skipped += len(emitted)
        return None
    if not point.time_unix_nano:
        _refuse(out, 1, "a data point without time_unix_nano")
        return None
    moment = EPOCH + timedelta(microseconds=point.time_unix_nano // 1000)
    tags = {**scoped, **naming.labels(_attributes(point.attributes).items())}
    for name, extra, value in emitted:
        if not math.isfinite(value):
            out.skipped += 1
            continue
        out.samples.append(Sample(name, moment, value, {**tags, **extra}))
        out.origins.append(ordinal)
    return moment


def _target_info(
    out: Translation, attributes: dict[str, str], base: dict[str, str], newest: datetime | None
) -> None:
    rest = {key: value for key, value in attributes.items() if key not in JOB_ATTRIBUTES}
    if not rest or newest is None:
        return
    out.samples.append(Sample("target_info", newest, 1.0, {**base, **naming.labels(rest.items())}))
    # Not a data point of the request: a refusal of it is reported, but counts no point.
    out.origins.append(-1)


def _job_labels(attributes: dict[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    service = attributes.get("service.name")
    namespace = attributes.get("service.namespace")
    if service:
        found["job"] = f"{namespace}/{service}" if namespace else service
    if attributes.get("service.instance.id"):
        found["instance"] = attributes["service.instance.id"]
    return found


def _attributes(pairs: Iterable[KeyValue]) -> dict[str, str]:
    return {pair.key: _text(pair.value) for pair in pairs}


def _text(value: AnyValue) -> str:
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return str(value.string_value)
    if kind == "bool_value":
        return "true" if value.bool_value else "false"
    if kind == "int_value":
        return str(value.int_value)
    if kind == "double_value":
        return repr(value.double_value)
    if kind == "array_value":
        return msgspec.json.encode([_text(item) for item in value.array_value.values]).decode()
    if kind == "kvlist_value":
        return msgspec.json.encode(_attributes(value.kvlist_value.values)).decode()
    if kind == "bytes_value":
        return bytes(value.bytes_value).hex()
    return ""


def _le(bound: float) -> str:
    """A bound as Prometheus writes it: shortest decimal, no exponent, no trailing `.0`."""
    if math.isinf(bound):
        return "+Inf" if bound > 0 else "-Inf"
    text = format(Decimal(repr(bound)), "f")
    return text[:-2] if text.endswith(".0") else text


def _refuse(out: Translation, points: int, reason: str) -> None:
    out.refused[reason] += points
    out.refused_points += points
    out.points += points


def _later(current: datetime | None, moment: datetime | None) -> datetime | None:
    if moment is None:
        return current
    return moment if current is None or moment > current else current
