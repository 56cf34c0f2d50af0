"""Every resource carries the project's tags, through one provider pinned to one account."""

from __future__ import annotations

import json
from typing import Any

from cloudmetrics_policies.ours import REQUIRED_TAGS
from cloudmetrics_shared.tags import TAG_KEYS

from tests.infra.mock_cloud import Snapshot


def provider_inputs(stack: Snapshot) -> dict[str, Any]:
    provider = stack.one("pulumi:providers:aws")
    # Provider configuration reaches the engine as JSON strings.
    return {
        key: json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value
        for key, value in provider.inputs.items()
    }


def test_provider_sets_the_default_tags(stack: Snapshot) -> None:
    tags = provider_inputs(stack)["defaultTags"]["tags"]
    assert set(tags) == set(TAG_KEYS)
    assert tags["Environment"] == stack.environment
    assert tags["Project"] == "cloudmetrics"
    assert tags["ManagedBy"] == "pulumi"


def test_provider_refuses_any_other_account(stacks: dict[str, Snapshot]) -> None:
    accounts = {env: provider_inputs(stack)["allowedAccountIds"] for env, stack in stacks.items()}
    assert all(len(ids) == 1 for ids in accounts.values())
    assert len({ids[0] for ids in accounts.values()}) == 3


def test_every_aws_resource_uses_the_tagged_provider(stack: Snapshot) -> None:
    provider = stack.one("pulumi:providers:aws")
    for resource in stack.aws():
        assert resource.provider is not None, resource.name
        urn, _, provider_id = resource.provider.rpartition("::")
        assert urn.endswith("pulumi:providers:aws::aws"), resource.name
        assert provider_id == provider.id, resource.name


def test_provider_functions_use_the_pinned_provider_too(stack: Snapshot) -> None:
    # With the default provider disabled, an invoke without our provider would fail to deploy.
    provider = stack.one("pulumi:providers:aws")
    assert stack.invokes
    for token, reference in stack.invokes:
        assert reference.endswith(f"::{provider.id}"), token


def test_the_policy_pack_requires_the_tags_the_providers_set() -> None:
    # The pack is a project of its own and cannot import the programs' code.
    assert REQUIRED_TAGS == TAG_KEYS
