"""The IETF health-check response format (draft-inadarei-api-health-check), as msgspec structs."""

from __future__ import annotations

from typing import Literal

import msgspec

HEALTH_MEDIA_TYPE = "application/health+json"

Status = Literal["pass", "warn", "fail"]

# How bad each status is, so a report takes the worst of its checks.
_SEVERITY: dict[Status, int] = {"pass": 0, "warn": 1, "fail": 2}


def worst(statuses: list[Status]) -> Status:
    worst_seen: Status = "pass"
    for status in statuses:
        if _SEVERITY[status] > _SEVERITY[worst_seen]:
            worst_seen = status
    return worst_seen


class CheckEntry(msgspec.Struct, rename="camel", omit_defaults=True, frozen=True):
    status: Status
    component_type: str
    time: str
    observed_value: float | None = None
    observed_unit: str | None = None
    output: str | None = None


class HealthReport(msgspec.Struct, rename="camel", omit_defaults=True, frozen=True):
    status: Status
    version: str
    service_id: str = "cloudmetrics-api"
    description: str = ""
    release_id: str | None = None
    checks: dict[str, list[CheckEntry]] | None = None
