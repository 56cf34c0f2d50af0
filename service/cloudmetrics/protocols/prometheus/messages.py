"""The remote write 1.0 and remote read messages, declared from the published specification
(prometheus/prompb types.proto and remote.proto) through protobuf's descriptor API.

Declaring them at import keeps a generated module and a protoc run out of the tree; the field
numbers and types below are the wire contract, and tests decode what a real Prometheus sends.
Only what we read or answer is declared: native histograms travel as an empty message here,
so a series that carries them is seen (and refused) rather than mistaken for an empty one.
Fields we do not declare are kept as unknown fields by the runtime and otherwise ignored.
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message

_PACKAGE = "cloudmetrics.prometheus"
_Field = descriptor_pb2.FieldDescriptorProto

_DOUBLE = _Field.TYPE_DOUBLE
_INT64 = _Field.TYPE_INT64
_STRING = _Field.TYPE_STRING
_BOOL = _Field.TYPE_BOOL
_ENUM = _Field.TYPE_ENUM
_MESSAGE = _Field.TYPE_MESSAGE
_REPEATED = _Field.LABEL_REPEATED
_OPTIONAL = _Field.LABEL_OPTIONAL

# name -> [(field name, number, type, label, message or enum type name)]
_MESSAGES: dict[str, list[tuple[str, int, int, int, str | None]]] = {
    "Sample": [
        ("value", 1, _DOUBLE, _OPTIONAL, None),
        ("timestamp", 2, _INT64, _OPTIONAL, None),
    ],
    "Label": [("name", 1, _STRING, _OPTIONAL, None), ("value", 2, _STRING, _OPTIONAL, None)],
    "Exemplar": [
        ("labels", 1, _MESSAGE, _REPEATED, "Label"),
        ("value", 2, _DOUBLE, _OPTIONAL, None),
        ("timestamp", 3, _INT64, _OPTIONAL, None),
    ],
    "Histogram": [],
    "TimeSeries": [
        ("labels", 1, _MESSAGE, _REPEATED, "Label"),
        ("samples", 2, _MESSAGE, _REPEATED, "Sample"),
        ("exemplars", 3, _MESSAGE, _REPEATED, "Exemplar"),
        ("histograms", 4, _MESSAGE, _REPEATED, "Histogram"),
    ],
    "MetricMetadata": [
        ("type", 1, _ENUM, _OPTIONAL, "MetricMetadata.MetricType"),
        ("metric_family_name", 2, _STRING, _OPTIONAL, None),
        ("help", 4, _STRING, _OPTIONAL, None),
        ("unit", 5, _STRING, _OPTIONAL, None),
    ],
    "WriteRequest": [
        ("timeseries", 1, _MESSAGE, _REPEATED, "TimeSeries"),
        ("metadata", 3, _MESSAGE, _REPEATED, "MetricMetadata"),
    ],
    "LabelMatcher": [
        ("type", 1, _ENUM, _OPTIONAL, "LabelMatcher.Type"),
        ("name", 2, _STRING, _OPTIONAL, None),
        ("value", 3, _STRING, _OPTIONAL, None),
    ],
    "ReadHints": [
        ("step_ms", 1, _INT64, _OPTIONAL, None),
        ("func", 2, _STRING, _OPTIONAL, None),
        ("start_ms", 3, _INT64, _OPTIONAL, None),
        ("end_ms", 4, _INT64, _OPTIONAL, None),
        ("grouping", 5, _STRING, _REPEATED, None),
        ("by", 6, _BOOL, _OPTIONAL, None),
        ("range_ms", 7, _INT64, _OPTIONAL, None),
    ],
    "Query": [
        ("start_timestamp_ms", 1, _INT64, _OPTIONAL, None),
        ("end_timestamp_ms", 2, _INT64, _OPTIONAL, None),
        ("matchers", 3, _MESSAGE, _REPEATED, "LabelMatcher"),
        ("hints", 4, _MESSAGE, _OPTIONAL, "ReadHints"),
    ],
    "ReadRequest": [
        ("queries", 1, _MESSAGE, _REPEATED, "Query"),
        ("accepted_response_types", 2, _ENUM, _REPEATED, "ReadRequest.ResponseType"),
    ],
    "QueryResult": [("timeseries", 1, _MESSAGE, _REPEATED, "TimeSeries")],
    "ReadResponse": [("results", 1, _MESSAGE, _REPEATED, "QueryResult")],
}

# message -> (enum name, [(value name, number)])
_ENUMS: dict[str, tuple[str, list[tuple[str, int]]]] = {
    "MetricMetadata": (
        "MetricType",
        [
            ("UNKNOWN", 0),
            ("COUNTER", 1),
            ("GAUGE", 2),
            ("HISTOGRAM", 3),
            ("GAUGEHISTOGRAM", 4),
            ("SUMMARY", 5),
            ("INFO", 6),
            ("STATESET", 7),
        ],
    ),
    "LabelMatcher": ("Type", [("EQ", 0), ("NEQ", 1), ("RE", 2), ("NRE", 3)]),
    "ReadRequest": ("ResponseType", [("SAMPLES", 0), ("STREAMED_XOR_CHUNKS", 1)]),
}


def _file() -> descriptor_pb2.FileDescriptorProto:
    file = descriptor_pb2.FileDescriptorProto(
        name="cloudmetrics/prometheus_remote.proto", package=_PACKAGE, syntax="proto3"
    )
    for name, fields in _MESSAGES.items():
        message = file.message_type.add(name=name)
        for field_name, number, kind, label, type_name in fields:
            field = message.field.add(name=field_name, number=number, type=kind, label=label)
            if type_name is not None:
                field.type_name = f".{_PACKAGE}.{type_name}"
        if name in _ENUMS:
            enum_name, values = _ENUMS[name]
            enum = message.enum_type.add(name=enum_name)
            for value_name, value_number in values:
                enum.value.add(name=value_name, number=value_number)
    return file


_pool = descriptor_pool.DescriptorPool()
_pool.Add(_file())


def _message_class(name: str) -> type[Message]:
    return message_factory.GetMessageClass(_pool.FindMessageTypeByName(f"{_PACKAGE}.{name}"))


WriteRequest = _message_class("WriteRequest")
ReadRequest = _message_class("ReadRequest")
ReadResponse = _message_class("ReadResponse")
TimeSeries = _message_class("TimeSeries")
Label = _message_class("Label")
Sample = _message_class("Sample")

# Enum numbers as the specification gives them.
MATCH_EQUAL, MATCH_NOT_EQUAL, MATCH_REGEX, MATCH_NOT_REGEX = 0, 1, 2, 3
RESPONSE_SAMPLES, RESPONSE_STREAMED_XOR_CHUNKS = 0, 1
METRIC_TYPE_NAMES: dict[int, str] = {
    number: name.lower() for name, number in _ENUMS["MetricMetadata"][1]
}
