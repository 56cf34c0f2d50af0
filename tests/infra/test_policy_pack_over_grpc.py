"""The policy pack spoken to as the engine speaks to it: its own process, over gRPC.

The pack is started from its own virtualenv the way the Pulumi CLI starts a Python pack
(policy_pack_process.py) and sent what the engine sends: each resource's real inputs, a first
preview's unknown values, and the empty properties with which the engine stubs a create it does
not perform in this run (a resource outside `--target`, or excluded: pulumi's
pkg/resource/deploy/step_generator.go still calls Analyze for it, with its old inputs: none).
A mandatory diagnostic fails `pulumi up`; an advisory one or "not applicable" does not.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cloudmetrics_policies.catalogue import POLICIES
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import ResourceValidationPolicy

from tests.infra.mock_cloud import Snapshot
from tests.infra.policy_pack_process import (
    Pack,
    analyze_request,
    analyze_stack_request,
    mandatory,
    policy_pack_server,
)
from tests.infra.stack_builds import build_stack
from tests.infra.test_policy_breakages import BREAKAGES, broken

RESOURCE_POLICIES = {
    policy.name for policy in POLICIES if isinstance(policy, ResourceValidationPolicy)
}


@pytest.fixture(scope="module")
def pack() -> Iterator[Pack]:
    with policy_pack_server() as stub:
        yield stub


@pytest.fixture(scope="module")
def first_preview() -> Snapshot:
    return build_stack("dev", preview=True)


def test_the_pack_describes_every_policy_as_mandatory(pack: Pack) -> None:
    info = pack.info()
    assert info.name == "cloudmetrics"
    assert {policy.name for policy in info.policies} == {policy.name for policy in POLICIES}
    assert {policy.enforcementLevel for policy in info.policies} == {analyzer_pb2.MANDATORY}


def test_every_resource_of_every_stack_passes(pack: Pack, stacks: dict[str, Snapshot]) -> None:
    for snapshot in stacks.values():
        for resource in snapshot.resources:
            if resource.type.startswith("pulumi:"):
                continue
            response = pack.analyze(analyze_request(snapshot, resource, resource.inputs))
            assert mandatory(response) == [], (snapshot.environment, resource.name)
        assert mandatory(pack.analyze_stack(analyze_stack_request(snapshot))) == []


def test_a_first_preview_defers_what_it_cannot_judge(pack: Pack, first_preview: Snapshot) -> None:
    deferred: set[str] = set()
    for resource in first_preview.resources:
        if resource.type.startswith("pulumi:"):
            continue
        response = pack.analyze(analyze_request(first_preview, resource, resource.inputs))
        assert mandatory(response) == [], resource.name
        deferred |= {
            diagnostic.policyName
            for diagnostic in response.diagnostics
            if "during preview" in diagnostic.message
        }
    assert mandatory(pack.analyze_stack(analyze_stack_request(first_preview))) == []
    # Unknowns really reached the pack, and it said so instead of judging them.
    assert {"fsbp-ecs.20", "no-wildcard-iam-actions"} <= deferred


def test_an_untargeted_create_is_skipped_not_failed(
    pack: Pack, stacks: dict[str, Snapshot]
) -> None:
    """`pulumi up --target <migration task>` on a release that adds an RDS instance, a web
    ACL, a topic...: each such resource reaches the pack with no properties at all."""
    snapshot = stacks["dev"]
    types_seen: set[str] = set()
    failed: dict[str, list[tuple[str, str]]] = {}
    judged: dict[str, set[str]] = {}
    for resource in snapshot.resources:
        if resource.type.startswith("pulumi:") or resource.type in types_seen:
            continue
        types_seen.add(resource.type)
        response = pack.analyze(analyze_request(snapshot, resource, {}))
        if mandatory(response):
            failed[resource.type] = mandatory(response)
        skipped = {entry.policy_name for entry in response.not_applicable}
        if skipped != RESOURCE_POLICIES:
            judged[resource.type] = RESOURCE_POLICIES - skipped
    assert failed == {}
    assert judged == {}, "every resource policy says it cannot judge nothing"
    assert {
        "aws:rds/instance:Instance",
        "aws:wafv2/webAcl:WebAcl",
        "aws:ecr/repository:Repository",
        "aws:acm/certificate:Certificate",
    } <= types_seen


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_every_breakage_still_fails_its_policy_over_grpc(
    name: str, pack: Pack, stacks: dict[str, Snapshot]
) -> None:
    breakage = BREAKAGES[name]
    snapshot = broken(stacks[breakage.environment], breakage)
    failed: set[str] = {
        policy for policy, _ in mandatory(pack.analyze_stack(analyze_stack_request(snapshot)))
    }
    for resource in snapshot.resources:
        if not resource.type.startswith("pulumi:"):
            response = pack.analyze(analyze_request(snapshot, resource, resource.inputs))
            failed |= {policy for policy, _ in mandatory(response)}
    assert name in failed
