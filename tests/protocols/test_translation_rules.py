"""The naming rules of the OTLP translation and the line protocol's syntax, case by case."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cloudmetrics.errors import InvalidRequest
from cloudmetrics.protocols.influx.line_protocol import parse_lines
from cloudmetrics.protocols.otlp import naming
from cloudmetrics.protocols.prometheus.label_names import labels_of

NOW = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "unit", "kind", "expected"),
    [
        ("http.server.duration", "s", "", "http_server_duration_seconds"),
        ("http.server.duration", "ms", "", "http_server_duration_milliseconds"),
        ("process.memory", "By", "gauge", "process_memory_bytes"),
        ("requests", "{request}", "counter", "requests_total"),
        ("requests_total", "1", "counter", "requests_total"),
        ("cpu.utilization", "1", "gauge", "cpu_utilization_ratio"),
        ("speed", "m/s", "gauge", "speed_meters_per_second"),
        ("latency_seconds", "s", "", "latency_seconds"),
        ("disk--io  rate", "By/s", "counter", "disk_io_rate_bytes_per_second_total"),
        ("2xx", "", "gauge", "_2xx"),
    ],
)
def test_metric_names_follow_the_compatibility_rules(
    name: str, unit: str, kind: str, expected: str
) -> None:
    assert (
        naming.metric_name(name, unit, counter=kind == "counter", gauge=kind == "gauge") == expected
    )


def test_label_names_are_sanitised_and_coinciding_keys_joined() -> None:
    assert naming.labels(
        [("http.method", "GET"), ("http_method", "POST"), ("1st", "a"), ("_x", "b"), ("e", "")]
    ) == {"http_method": "GET;POST", "key_1st": "a", "key_x": "b"}


def test_prometheus_reads_dots_and_dashes_as_underscores() -> None:
    assert labels_of("cpu.load", {"host-name": "a", "host_name": "b", "zone": "z"}) == {
        "__name__": "cpu_load",
        "host_name": "a;b",
        "zone": "z",
    }


def test_line_protocol_escapes_quotes_and_field_types() -> None:
    decoded = parse_lines(
        b'my\\ measure,tag\\,key=va\\=lue,t2=x\\ y f1=1.5,f\\=2=-3i,s="a \\"q\\", b",'
        b"b=FALSE,u=7u 1893456000\n",
        "s",
        NOW,
    )
    assert [(s.name, s.value, dict(s.tags)) for s in decoded.samples] == [
        ("my measure_f1", 1.5, {"tag,key": "va=lue", "t2": "x y"}),
        ("my measure_f=2", -3.0, {"tag,key": "va=lue", "t2": "x y"}),
        ("my measure_u", 7.0, {"tag,key": "va=lue", "t2": "x y"}),
    ]
    assert decoded.skipped == 2
    assert decoded.samples[0].timestamp == datetime(2030, 1, 1, tzinfo=UTC)
    assert not decoded.refused


@pytest.mark.parametrize(
    "line",
    [
        "m",
        "m f=",
        "m f=abc",
        'm f="open',
        "m f=1 12x",
        "m,t f=1",
        "m f=1 2 3",
    ],
)
def test_malformed_lines_are_refused_by_number(line: str) -> None:
    decoded = parse_lines(f"ok v=1\n{line}\n".encode(), "ns", NOW)
    assert [s.name for s in decoded.samples] == ["ok_v"]
    assert [reason.partition(":")[0] for reason in decoded.refused] == ["line 2"]


def test_an_unknown_precision_and_text_that_is_not_utf8_are_refused() -> None:
    with pytest.raises(InvalidRequest):
        parse_lines(b"m v=1", "d", NOW)
    with pytest.raises(InvalidRequest):
        parse_lines(b"m v=\xff", "ns", NOW)
