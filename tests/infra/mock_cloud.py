"""Mocks that answer for AWS and keep a plain record of every resource a program declared.

The record holds the inputs as the engine received them (camelCase wire names) after every
Output resolved, so policy tests are plain Python over dictionaries.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pulumi
from cloudmetrics_shared.environments import ENVIRONMENTS
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from tests.infra.mock_answers import (
    CLOUDFRONT_ORIGIN_CIDRS,
    CLOUDFRONT_PREFIX_LIST_ID,
    INVOKES,
    Declared,
    arn,
    computed,
)

__all__ = [
    "CLOUDFRONT_ORIGIN_CIDRS",
    "CLOUDFRONT_PREFIX_LIST_ID",
    "ENVIRONMENTS",
    "IMAGE_TAG",
    "INFRA",
    "RecordingMocks",
    "Resource",
    "Snapshot",
]

INFRA = Path(__file__).resolve().parents[2] / "infra"
IMAGE_TAG = "3f2a9c1"


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    inputs: Mapping[str, Any]
    state: Mapping[str, Any]
    provider: str | None
    id: str
    urn: str = ""
    parent: str = ""
    dependencies: tuple[str, ...] = ()
    """URNs of the resources this one was declared to depend on (depends_on)."""
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: {})
    """Input property -> URNs of the resources whose outputs it was made from."""

    def json(self, key: str) -> Any:
        """An input the program passed as a JSON document (policies, container definitions)."""
        value = self.inputs[key]
        return json.loads(value) if isinstance(value, str) else value


@dataclass
class Snapshot:
    environment: str
    resources: list[Resource] = field(default_factory=lambda: [])
    outputs: dict[str, Any] = field(default_factory=lambda: {})
    invokes: list[tuple[str, str]] = field(default_factory=lambda: [])
    """(function token, provider reference) of every provider function the program called."""
    urns: list[str] = field(default_factory=lambda: [])

    def of_type(self, type_: str) -> list[Resource]:
        return [resource for resource in self.resources if resource.type == type_]

    def one(self, type_: str) -> Resource:
        found = self.of_type(type_)
        assert len(found) == 1, f"expected one {type_}, found {len(found)}"
        return found[0]

    def named(self, name: str) -> Resource:
        found = [resource for resource in self.resources if resource.name == name]
        assert len(found) == 1, f"expected one resource named {name}, found {len(found)}"
        return found[0]

    def by_id(self, id_: str) -> Resource:
        found = [resource for resource in self.resources if resource.id == id_]
        assert len(found) == 1, f"expected one resource with id {id_}, found {len(found)}"
        return found[0]

    def by_urn(self, urn: str) -> Resource:
        found = [resource for resource in self.resources if resource.urn == urn]
        assert len(found) == 1, f"expected one resource with URN {urn}, found {len(found)}"
        return found[0]

    def aws(self) -> Iterator[Resource]:
        """Every AWS resource (not components, not the provider itself)."""
        for resource in self.resources:
            if resource.type.startswith("aws:"):
                yield resource


# How the wire format marks a secret value: {SIGNATURE_KEY: SECRET_SIGNATURE, "value": ...}.
SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"


def _revealed(value: Any) -> Any:
    """The value with secret markers removed (the provider marks e.g. SSM values secret).

    Unknown values (a preview's outputs of resources not created yet) become the engine's
    unknown marker, which is what a policy pack receives for them.
    """
    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        entries = cast("dict[str, Any]", value)
        if entries.get(SIGNATURE_KEY) == SECRET_SIGNATURE:
            return _revealed(entries["value"])
        return {key: _revealed(item) for key, item in entries.items()}
    if isinstance(value, list):
        return [_revealed(item) for item in cast("list[Any]", value)]
    return value


def _inputs(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    # The engine's inputs are an untyped dict; their keys are always property names.
    raw = cast("dict[str, Any]", args.inputs)  # pyright: ignore[reportUnknownMemberType]
    return {key: _revealed(value) for key, value in raw.items()}


class RecordingMocks(pulumi.runtime.Mocks):
    """Answers like AWS would, closely enough for references between resources to resolve."""

    def __init__(self, snapshot: Snapshot, region: str, account: str, preview: bool) -> None:
        self.snapshot = snapshot
        self.region = region
        self.account = account
        self.preview = preview

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        inputs = _inputs(args)
        if self.preview:
            # As in a first `pulumi preview`: nothing exists, so ids and every computed output
            # are unknown, and so is every input made from them.
            self.snapshot.resources.append(
                Resource(args.typ, args.name, inputs, dict(inputs), args.provider, "")
            )
            return None, dict(inputs)
        resource_id = f"{args.name}-id"
        declared = Declared(args.typ, args.name, inputs, self.region, self.account)
        state: dict[str, Any] = {**inputs, "arn": arn(declared)}
        state.setdefault("name", inputs.get("name", args.name))
        state |= computed(declared)
        self.snapshot.resources.append(
            Resource(args.typ, args.name, inputs, state, args.provider, resource_id)
        )
        return resource_id, state

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        self.snapshot.invokes.append((args.token, args.provider))
        answer = INVOKES.get(args.token)
        if answer is not None:
            return answer(self.region), []
        raise NotImplementedError(
            f"the program calls an invoke the mocks do not know: {args.token}"
        )
