"""Reading resource properties as the engine hands them to a policy pack."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

from pulumi_policy import PolicyResource

WORLD_IPV4 = "0.0.0.0/0"
WORLD_IPV6 = "::/0"


def has(props: Mapping[str, Any], key: str) -> bool:
    """Whether `key` is set, without reading it (reading an unknown value raises)."""
    return any(name == key for name in props)


def items(value: object) -> list[Any]:
    """A list property as a list; a missing or scalar value as a list of what is there."""
    if value is None:
        return []
    if isinstance(value, str | Mapping):
        return [value]
    return list(cast("Sequence[Any]", value))


def document(value: object) -> object:
    """A JSON document property (policies, container definitions), parsed."""
    return json.loads(value) if isinstance(value, str) else value


def section(props: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A nested object property; empty when absent."""
    value = props.get(key)
    return cast("Mapping[str, Any]", value) if isinstance(value, Mapping) else {}


def statements(value: object) -> list[dict[str, Any]]:
    """The statements of an IAM policy document property."""
    parsed = document(value)
    if not isinstance(parsed, Mapping):
        return []
    return [
        cast("dict[str, Any]", entry)
        for entry in items(section({"d": parsed}, "d").get("Statement"))
    ]


def stack_of(urn: str) -> str:
    """urn:pulumi:<stack>::<project>::<type>::<name> -> <stack>."""
    return urn.split("::")[0].removeprefix("urn:pulumi:")


def of_type(resources: Sequence[PolicyResource], resource_type: str) -> Iterator[PolicyResource]:
    return (resource for resource in resources if resource.resource_type == resource_type)


def depends_through(resource: PolicyResource, prop: str) -> list[PolicyResource]:
    """The resources whose outputs feed `resource`'s property `prop` (e.g. a rule's group)."""
    return list(resource.property_dependencies.get(prop, []))


def port_range(rule: Mapping[str, Any]) -> tuple[int, int]:
    low = rule.get("fromPort", 0)
    high = rule.get("toPort", 65535)
    protocol = str(rule.get("ipProtocol", rule.get("protocol", "tcp")))
    if protocol in ("-1", "all"):
        return 0, 65535
    return int(low), int(high)


def world_open(rule: Mapping[str, Any]) -> bool:
    cidrs = {
        rule.get("cidrIpv4"),
        rule.get("cidrIpv6"),
        rule.get("cidrBlock"),
        rule.get("ipv6CidrBlock"),
        *items(rule.get("cidrBlocks")),
        *items(rule.get("ipv6CidrBlocks")),
    }
    return bool(cidrs & {WORLD_IPV4, WORLD_IPV6})


def covers(rule: Mapping[str, Any], port: int) -> bool:
    low, high = port_range(rule)
    return low <= port <= high
