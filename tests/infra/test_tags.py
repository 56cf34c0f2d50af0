"""Every resource carries the project's tags, through one provider pinned to one account."""

from __future__ import annotations

import json
from typing import Any

from cloudmetrics_policies.ours import REQUIRED_TAGS
from cloudmetrics_shared.tags import TAG_KEYS

from tests.infra.mock_cloud import Snapshot


def provider_inputs(stack: Snapshot) -> dict[str, Any]:
    provider = stack.named("aws")
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
    # The stack's own, or its us-east-1 twin for what CloudFront needs there.
    providers = {provider.id: provider.name for provider in stack.of_type("pulumi:providers:aws")}
    assert sorted(providers.values()) == ["aws", "aws-us-east-1"]
    for resource in stack.aws():
        assert resource.provider is not None, resource.name
        urn, _, provider_id = resource.provider.rpartition("::")
        assert urn.endswith(f"pulumi:providers:aws::{providers.get(provider_id)}"), resource.name


def test_only_cloudfronts_certificate_and_firewall_live_in_us_east_1(stack: Snapshot) -> None:
    twin = stack.named("aws-us-east-1")
    assert twin.inputs["region"] == "us-east-1"
    for key in ("allowedAccountIds", "defaultTags"):
        assert twin.inputs[key] == stack.named("aws").inputs[key]
    in_us_east_1 = {
        resource.type
        for resource in stack.aws()
        if (resource.provider or "").endswith(f"::{twin.id}")
    }
    assert in_us_east_1 == {
        "aws:acm/certificate:Certificate",
        "aws:acm/certificateValidation:CertificateValidation",
        "aws:wafv2/webAcl:WebAcl",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
    }


def test_provider_functions_use_the_pinned_provider_too(stack: Snapshot) -> None:
    # With the default provider disabled, an invoke without our provider would fail to deploy.
    provider = stack.named("aws")
    assert stack.invokes
    for token, reference in stack.invokes:
        assert reference.endswith(f"::{provider.id}"), token


def test_the_policy_pack_requires_the_tags_the_providers_set() -> None:
    # The pack is a project of its own and cannot import the programs' code.
    assert REQUIRED_TAGS == TAG_KEYS
