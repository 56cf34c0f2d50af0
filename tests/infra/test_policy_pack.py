"""The policy pack (infra/policy_pack) over every stack's mock-recorded resources.

These are the Security Hub FSBP controls and the project's own rules as the deploy enforces them
(`pulumi preview/up --policy-pack infra/policy_pack`): each policy must pass every stack of the
estate and of the bootstrap, must survive a first preview's unknown values, and must catch the
breakage it exists for (test_policy_breakages.py).
"""

from __future__ import annotations

import re

import pytest
from cloudmetrics_policies.catalogue import POLICIES
from pulumi_policy import Policy

from tests.infra.mock_cloud import Snapshot
from tests.infra.policy_harness import run
from tests.infra.stack_builds import build_bootstrap_stack, build_stack

POLICY_NAMES = [policy.name for policy in POLICIES]


@pytest.fixture(scope="session")
def previews() -> list[Snapshot]:
    """A first preview of dev and of its bootstrap: nothing exists, much is unknown."""
    return [build_stack("dev", preview=True), build_bootstrap_stack("dev", preview=True)]


def test_policy_names_are_unique_and_valid() -> None:
    assert len(set(POLICY_NAMES)) == len(POLICY_NAMES)
    assert all(re.fullmatch(r"[a-zA-Z0-9._-]{1,100}", name) for name in POLICY_NAMES)


@pytest.mark.parametrize("policy", POLICIES, ids=POLICY_NAMES)
def test_every_stack_passes(
    policy: Policy, stacks: dict[str, Snapshot], bootstraps: dict[str, Snapshot]
) -> None:
    for snapshot in [*stacks.values(), *bootstraps.values()]:
        outcome = run(policy, snapshot)
        assert outcome.violations == [], snapshot.environment
        assert outcome.unknown == [], "nothing is unknown once resources exist"


@pytest.mark.parametrize("policy", POLICIES, ids=POLICY_NAMES)
def test_a_first_preview_is_judged_or_deferred_never_crashes(
    policy: Policy, previews: list[Snapshot]
) -> None:
    for snapshot in previews:
        assert run(policy, snapshot).violations == [], snapshot.environment


def test_a_first_preview_really_has_unknown_values(previews: list[Snapshot]) -> None:
    deferred = {
        policy.name for policy in POLICIES for snapshot in previews if run(policy, snapshot).unknown
    }
    # Policies reading ids and ARNs of resources not created yet cannot judge them in preview.
    assert {"fsbp-ecs.20", "fsbp-elb.13", "no-wildcard-iam-actions"} <= deferred
