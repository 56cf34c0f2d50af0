"""How our names look to Prometheus.

Our metric names and tag keys may hold `.` and `-`, which Prometheus's names may not; a
remote read answer holding one would fail the whole query in Prometheus. Each such character
reads as `_`, as the OpenTelemetry-to-Prometheus rules translate names, and tags whose keys
then coincide are joined into one label, their values sorted by key and joined with `;`.
Matchers and label discovery work on this view, so what Prometheus asks for is what it sees.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from cloudmetrics.protocols.prometheus.matchers import NAME_LABEL

_NOT_IN_METRIC_NAME = re.compile(r"[^A-Za-z0-9_:]")
_NOT_IN_LABEL_NAME = re.compile(r"[^A-Za-z0-9_]")


def metric_name(name: str) -> str:
    return _NOT_IN_METRIC_NAME.sub("_", name)


def label_name(key: str) -> str:
    return _NOT_IN_LABEL_NAME.sub("_", key)


def labels_of(name: str, tags: Mapping[str, str]) -> dict[str, str]:
    """A series' labels as Prometheus sees them: `__name__` and its tags."""
    labels: dict[str, str] = {}
    for key in sorted(tags):
        visible = label_name(key)
        labels[visible] = f"{labels[visible]};{tags[key]}" if visible in labels else tags[key]
    labels[NAME_LABEL] = metric_name(name)
    return labels
