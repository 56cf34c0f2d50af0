"""Influx line protocol, parsed into samples.

    measurement[,tag=value...] field=value[,field=value...] [timestamp]

Each numeric field becomes a sample of the metric `<measurement>_<field>` (the convention of
Telegraf's Prometheus output and of VictoriaMetrics), its tags the line's tags. Floats,
integers (`12i`) and unsigned integers (`12u`) are numbers; string and boolean fields are
skipped, since a metric here is a number (docs/api.md). A line without a timestamp takes the
time the request arrived. A line that cannot be parsed is refused with its number and reason,
the rest of the body is still written, as InfluxDB's partial writes do.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta

from cloudmetrics.errors import InvalidRequest
from cloudmetrics.metrics.validation import Sample
from cloudmetrics.protocols.ingest import Decoded
from cloudmetrics.protocols.prometheus.timestamps import EPOCH

# Nanoseconds per unit, by the names InfluxDB 2 (`ns`, `us`, `ms`, `s`) and 1 (also `n`, `u`,
# `m`, `h`) accept.
PRECISIONS = {
    "ns": 1,
    "n": 1,
    "us": 1_000,
    "u": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
V2_PRECISIONS = ("ns", "us", "ms", "s")

_FLOAT = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_INTEGER = re.compile(r"^[-+]?\d+[iu]$")
_BOOLEANS = frozenset({"t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE"})
_TIMESTAMP = re.compile(r"^-?\d{1,19}$")


class _BadLine(Exception):
    pass


def parse_lines(body: bytes, precision: str, now: datetime) -> Decoded:
    if precision not in PRECISIONS:
        raise InvalidRequest(f"precision must be one of {', '.join(PRECISIONS)}")
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise InvalidRequest("line protocol must be UTF-8 text") from None
    samples: list[Sample] = []
    refused: Counter[str] = Counter()
    skipped = 0
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.strip(" \t\r")
        if not line or line.startswith("#"):
            continue
        try:
            parsed, not_numbers = _parse_line(line, PRECISIONS[precision], now)
        except _BadLine as bad:
            refused[f"line {number}: {bad}"] += 1
            continue
        samples.extend(parsed)
        skipped += not_numbers
    return Decoded(samples=samples, refused=refused, skipped=skipped)


def _parse_line(line: str, unit_ns: int, now: datetime) -> tuple[list[Sample], int]:
    sections = _split(line, " ", quotes=True)
    sections = [section for section in sections if section]
    if len(sections) not in (2, 3):
        raise _BadLine("expected a measurement, fields and an optional timestamp")
    head = _split(sections[0], ",", quotes=False)
    measurement = _unescape(head[0])
    if not measurement:
        raise _BadLine("the measurement is empty")
    tags: dict[str, str] = {}
    for pair in head[1:]:
        key, value = _pair(pair, "tag")
        tags[key] = value
    moment = now if len(sections) == 2 else _timestamp(sections[2], unit_ns)
    samples: list[Sample] = []
    not_numbers = 0
    for field in _split(sections[1], ",", quotes=True):
        key, raw = _pair(field, "field", unescape_value=False)
        value = _number(raw)
        if value is None:
            not_numbers += 1
            continue
        samples.append(Sample(f"{measurement}_{key}", moment, value, tags))
    return samples, not_numbers


def _pair(text: str, what: str, *, unescape_value: bool = True) -> tuple[str, str]:
    parts = _split(text, "=", quotes=True, limit=1)
    if len(parts) != 2 or not parts[0] or not parts[1]:
        raise _BadLine(f"a {what} must be key=value: {text[:80]!r}")
    key = _unescape(parts[0])
    return key, _unescape(parts[1]) if unescape_value else parts[1]


def _number(raw: str) -> float | None:
    """The field's value as a number; None for strings and booleans (skipped)."""
    if raw.startswith('"'):
        if len(raw) < 2 or not raw.endswith('"'):
            raise _BadLine(f"an unterminated string field: {raw[:80]!r}")
        return None
    if raw in _BOOLEANS:
        return None
    if _INTEGER.match(raw):
        return float(int(raw[:-1]))
    if _FLOAT.match(raw):
        return float(raw)
    raise _BadLine(f"a field value that is no number, string or boolean: {raw[:80]!r}")


def _timestamp(raw: str, unit_ns: int) -> datetime:
    if not _TIMESTAMP.match(raw):
        raise _BadLine(f"the timestamp must be an integer: {raw[:40]!r}")
    try:
        return EPOCH + timedelta(microseconds=int(raw) * unit_ns // 1000)
    except OverflowError:
        raise _BadLine("the timestamp lies outside the years 1 to 9999") from None


def _split(text: str, separator: str, *, quotes: bool, limit: int = -1) -> list[str]:
    """Split at unescaped separators (outside double quotes when ``quotes``), escapes kept."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            current.append(text[index : index + 2])
            index += 2
            continue
        if quotes and char == '"':
            quoted = not quoted
        elif char == separator and not quoted and (limit < 0 or len(parts) < limit):
            parts.append("".join(current))
            current = []
            index += 1
            continue
        current.append(char)
        index += 1
    if quoted:
        raise _BadLine("an unterminated string field")
    parts.append("".join(current))
    return parts


def _unescape(text: str) -> str:
    return re.sub(r"\\([,= \\\"])", r"\1", text)
