"""OTLP/HTTP metrics: the OpenTelemetry SDK's own exporter against a running service, and the
translation rules and partial_success on requests built with OTLP's generated types."""

from __future__ import annotations

import asyncio
import gzip
import time

import httpx
import pytest
from google.protobuf import json_format
from litestar import Litestar
from litestar.testing import AsyncTestClient
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

from tests.api.live_service import service_environment
from tests.support.identity import IssuedKey
from tests.support.server import running_server

RESOURCE = {
    "service.name": "checkout",
    "service.instance.id": "i-1",
    "deployment.environment": "test",
}


def _labels_by_name(series: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    found: dict[str, list[dict[str, str]]] = {}
    for labels in series:
        found.setdefault(labels["__name__"], []).append(labels)
    return found


@pytest.mark.timeout(300)
async def test_the_sdk_exporter_stores_the_series_the_compatibility_rules_name(
    migrated_database_url: str, redis_url: str, api_key: IssuedKey
) -> None:
    environment = service_environment(migrated_database_url, redis_url)
    # A loaded machine can take its time importing the service.
    with running_server(environment, startup_timeout=90) as served:
        url = served.url
        exporter = OTLPMetricExporter(
            endpoint=f"{url}/otlp/v1/metrics",
            headers=api_key.headers,
            compression=Compression.Gzip,
        )
        reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
        provider = MeterProvider(resource=Resource.create(RESOURCE), metric_readers=[reader])
        meter = provider.get_meter("shop", "1.2")
        meter.create_gauge("queue.depth", unit="{items}").set(4, {"queue": "mail"})
        meter.create_counter("orders", unit="{order}").add(3, {"region": "eu"})
        duration = meter.create_histogram("request.duration", unit="s")
        for seconds in (0.2, 0.2, 3.0):
            duration.record(seconds, {"route": "/pay"})
        assert await asyncio.to_thread(reader.force_flush, 10_000)
        await asyncio.to_thread(provider.shutdown)
        answer = await asyncio.to_thread(
            httpx.get,
            f"{url}/api/v1/series",
            params={"match[]": '{job="checkout"}'},
            headers=api_key.headers,
        )
    assert answer.status_code == 200, answer.text[:300]
    series = _labels_by_name(answer.json()["data"])
    common = {
        "job": "checkout",
        "instance": "i-1",
        "otel_scope_name": "shop",
        "otel_scope_version": "1.2",
    }
    assert series["queue_depth"] == [{**common, "__name__": "queue_depth", "queue": "mail"}]
    assert series["orders_total"] == [{**common, "__name__": "orders_total", "region": "eu"}]
    # The SDK's default bounds, written as Prometheus writes them, and +Inf.
    buckets = {s["le"] for s in series["request_duration_seconds_bucket"]}
    assert buckets == {
        *("0", "5", "10", "25", "50", "75", "100", "250", "500", "750", "1000"),
        *("2500", "5000", "7500", "10000", "+Inf"),
    }
    assert "request_duration_seconds_sum" in series
    assert "request_duration_seconds_count" in series
    [info] = series["target_info"]
    assert info["deployment_environment"] == "test"
    assert info["telemetry_sdk_language"] == "python"
    assert "otel_scope_name" not in info


def _request(
    temporality: int = AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE,
) -> ExportMetricsServiceRequest:
    now = time.time_ns()
    document = {
        "resourceMetrics": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "api"}}]
                },
                "scopeMetrics": [
                    {
                        "scope": {"name": "test"},
                        "metrics": [
                            {
                                "name": "http.requests",
                                "sum": {
                                    "aggregationTemporality": temporality,
                                    "isMonotonic": True,
                                    "dataPoints": [
                                        {
                                            "asInt": "5",
                                            "timeUnixNano": str(now),
                                            "attributes": [
                                                {"key": "code", "value": {"intValue": "200"}}
                                            ],
                                        },
                                        {"asDouble": "NaN", "timeUnixNano": str(now)},
                                    ],
                                },
                            },
                            {
                                "name": "latency",
                                "exponentialHistogram": {
                                    "aggregationTemporality": 2,
                                    "dataPoints": [{"timeUnixNano": str(now), "count": "1"}],
                                },
                            },
                            {
                                "name": "old",
                                "gauge": {"dataPoints": [{"asDouble": 1, "timeUnixNano": "1000"}]},
                            },
                        ],
                    }
                ],
            }
        ]
    }
    return json_format.ParseDict(document, ExportMetricsServiceRequest())


async def test_partial_success_counts_refused_data_points_and_the_rest_is_written(
    client: AsyncTestClient[Litestar],
) -> None:
    body = _request().SerializeToString()
    answer = await client.post(
        "/otlp/v1/metrics", content=body, headers={"content-type": "application/x-protobuf"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/x-protobuf")
    response = ExportMetricsServiceResponse.FromString(answer.content)
    # The exponential histogram and the point from 1970 are refused; NaN is skipped, not refused.
    assert response.partial_success.rejected_data_points == 2
    assert "exponential histograms are not stored" in response.partial_success.error_message
    assert "before the window" in response.partial_success.error_message
    series = await client.get("/api/v1/series", params={"match[]": '{job="api"}'})
    assert [s["__name__"] for s in series.json()["data"]] == ["http_requests_total"]
    assert series.json()["data"][0]["code"] == "200"


async def test_json_and_gzip_are_accepted_and_answered_in_json(
    client: AsyncTestClient[Litestar],
) -> None:
    body = json_format.MessageToJson(
        _request(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
    ).encode()
    answer = await client.post(
        "/otlp/v1/metrics",
        content=gzip.compress(body),
        headers={"content-type": "application/json", "content-encoding": "gzip"},
    )
    assert answer.status_code == 200, answer.text
    partial = answer.json()["partialSuccess"]
    # Delta sums are refused as a whole, with the advice to convert them.
    assert partial["rejectedDataPoints"] == "4"
    assert "deltatocumulative" in partial["errorMessage"]


async def test_a_body_that_is_not_otlp_is_a_400_and_another_media_type_a_415(
    client: AsyncTestClient[Litestar],
) -> None:
    bad = await client.post(
        "/otlp/v1/metrics",
        content=b"\xff\x00garbage",
        headers={"content-type": "application/x-protobuf"},
    )
    assert bad.status_code == 400
    assert "ExportMetricsServiceRequest" in bad.json()["detail"]
    wrong = await client.post(
        "/otlp/v1/metrics", content=b"{}", headers={"content-type": "text/plain"}
    )
    assert wrong.status_code == 415
    assert wrong.json()["type"].endswith("/unsupported-media-type")
