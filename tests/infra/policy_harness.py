"""Feed a mocked stack to the policy pack offline, the way the engine feeds a real one.

Resource policies get each resource's inputs, stack policies every resource's outputs with their
property dependencies, all wrapped in pulumi_policy's unknown-checking proxy: reading a value a
preview does not know raises UnknownValueError, which the pack's server turns into "cannot run
during preview" and which this harness reports the same way.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    Policy,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import (
    _NotApplicableError,  # pyright: ignore[reportPrivateUsage] -- what not_applicable() raises
)
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from tests.infra.mock_cloud import Resource, Snapshot


@dataclass
class Outcome:
    violations: list[tuple[str, str]] = field(default_factory=lambda: [])
    """(message, URN or resource name) of every violation reported."""
    unknown: list[str] = field(default_factory=lambda: [])
    """Resources the policy could not judge because a value was unknown (preview only)."""
    not_applicable: list[str] = field(default_factory=lambda: [])
    """Resources the policy declared itself not applicable to (the server reports them so)."""


def _proxied(values: Mapping[str, Any]) -> Mapping[str, Any]:
    return unknown_checking_proxy(copy.deepcopy(dict(values)))


def _options(resource: Resource) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=resource.parent or None,
    )


def _provider(snapshot: Snapshot, resource: Resource) -> PolicyProviderResource | None:
    if not resource.provider:
        return None
    # The SDK's reference names the root stack in the type chain; recorded URNs do not.
    urn = resource.provider.rpartition("::")[0].replace("::pulumi:pulumi:Stack$", "::")
    found = [r for r in snapshot.resources if r.urn == urn]
    if not found:
        return None
    return PolicyProviderResource(found[0].type, _proxied(found[0].inputs), urn, found[0].name)


def run(policy: Policy, snapshot: Snapshot) -> Outcome:
    outcome = Outcome()
    if isinstance(policy, ResourceValidationPolicy):
        for resource in snapshot.resources:
            if resource.type.startswith("pulumi:"):
                continue
            args = ResourceValidationArgs(
                resource.type,
                _proxied(resource.inputs),
                resource.urn,
                resource.name,
                _options(resource),
                _provider(snapshot, resource),
            )

            def report(message: str, urn: str | None, name: str = resource.name) -> None:
                outcome.violations.append((message, urn or name))

            try:
                policy.validate(args, report)  # pyright: ignore[reportUnknownMemberType]
            except UnknownValueError:
                outcome.unknown.append(resource.name)
            except _NotApplicableError:
                outcome.not_applicable.append(resource.name)
    elif isinstance(policy, StackValidationPolicy):
        resources = _policy_resources(snapshot)

        def report_stack(message: str, urn: str | None) -> None:
            outcome.violations.append((message, urn or snapshot.environment))

        try:
            policy.validate(StackValidationArgs(resources), report_stack)  # pyright: ignore[reportUnknownMemberType]
        except UnknownValueError:
            outcome.unknown.append(snapshot.environment)
    return outcome


def _policy_resources(snapshot: Snapshot) -> list[PolicyResource]:
    recorded = [r for r in snapshot.resources if not r.type.startswith("pulumi:")]
    by_urn: dict[str, PolicyResource] = {}
    for resource in recorded:
        by_urn[resource.urn] = PolicyResource(
            resource.type,
            _proxied(resource.state),
            resource.urn,
            resource.name,
            _options(resource),
            _provider(snapshot, resource),
            None,
            [],
            {},
        )
    for resource in recorded:
        policy_resource = by_urn[resource.urn]
        policy_resource.parent = by_urn.get(resource.parent)
        policy_resource.dependencies = [
            by_urn[urn] for urn in resource.dependencies if urn in by_urn
        ]
        policy_resource.property_dependencies = {
            key: [by_urn[urn] for urn in urns if urn in by_urn]
            for key, urns in resource.property_dependencies.items()
        }
    return list(by_urn.values())
