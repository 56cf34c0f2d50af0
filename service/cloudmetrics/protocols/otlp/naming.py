"""Names and labels by the OpenTelemetry specification's Prometheus compatibility rules.

- A metric name keeps `[A-Za-z0-9_:]`, every other character becomes `_` (runs collapse);
  its unit, translated from UCUM (`s` -> `seconds`, `By` -> `bytes`, `m/s` ->
  `meters_per_second`, `{requests}` dropped), is appended unless the name already ends with
  it; a monotonic cumulative sum gets `_total`, a gauge of unit `1` gets `_ratio`.
- An attribute key keeps `[A-Za-z0-9_]`; one starting with a digit gets `key_` in front, one
  starting with a single `_` gets `key`; keys that coincide are joined into one label whose
  values, sorted by original key, are joined with `;`.
- Resource attributes: `service.namespace`/`service.name` make `job`, `service.instance.id`
  makes `instance`; the rest go to one `target_info` series per resource (translate.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9_:]+")
_NOT_IN_LABEL = re.compile(r"[^A-Za-z0-9_]")
_ANNOTATION = re.compile(r"\{[^}]*\}")

_UNITS = {
    # Time
    "d": "days",
    "h": "hours",
    "min": "minutes",
    "s": "seconds",
    "ms": "milliseconds",
    "us": "microseconds",
    "ns": "nanoseconds",
    # Bytes
    "By": "bytes",
    "KiBy": "kibibytes",
    "MiBy": "mebibytes",
    "GiBy": "gibibytes",
    "TiBy": "tibibytes",
    "KBy": "kilobytes",
    "MBy": "megabytes",
    "GBy": "gigabytes",
    "TBy": "terabytes",
    # SI
    "m": "meters",
    "V": "volts",
    "A": "amperes",
    "J": "joules",
    "W": "watts",
    "g": "grams",
    "Cel": "celsius",
    "Hz": "hertz",
    "%": "percent",
}
_PER_UNITS = {
    "s": "second",
    "m": "minute",
    "h": "hour",
    "d": "day",
    "w": "week",
    "mo": "month",
    "y": "year",
}


def unit_suffix(unit: str) -> str:
    """The unit as a name suffix ("" for none or for the dimensionless `1`)."""
    bare = _ANNOTATION.sub("", unit).strip()
    if not bare or bare == "1":
        return ""
    main, _, per = bare.partition("/")
    words = [_UNITS.get(main, main)] if main else []
    if per:
        words.append("per_" + _PER_UNITS.get(per, per))
    return _clean_name("_".join(words))


def metric_name(name: str, unit: str, *, counter: bool = False, gauge: bool = False) -> str:
    base = _clean_name(name)
    suffix = unit_suffix(unit)
    if suffix and not base.endswith(suffix):
        base = f"{base}_{suffix}"
    if gauge and _ANNOTATION.sub("", unit).strip() == "1" and not base.endswith("_ratio"):
        base = f"{base}_ratio"
    if counter and not base.endswith("_total"):
        base = f"{base}_total"
    return base


def label_name(key: str) -> str:
    label = _NOT_IN_LABEL.sub("_", key)
    if label[:1].isdigit():
        return "key_" + label
    if label.startswith("_") and not label.startswith("__"):
        return "key" + label
    return label


def labels(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Attributes as labels, coinciding keys joined (values sorted by original key)."""
    joined: dict[str, str] = {}
    for key, value in sorted(pairs):
        if not value or not key:
            continue
        name = label_name(key)
        joined[name] = f"{joined[name]};{value}" if name in joined else value
    return joined


def _clean_name(name: str) -> str:
    cleaned = _NOT_IN_NAME.sub("_", name).strip("_") or "_"
    return "_" + cleaned if cleaned[0].isdigit() else cleaned
