"""Promotion's cross-account pull (docs/adr/0046): dev's repository lets staging's deploy role
pull, staging's lets prod's, prod's lets nobody; both sides of IAM's cross-account evaluation are
read from what the estate and the bootstrap declare."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from cloudmetrics_infra.registry import PULL_ACTIONS
from cloudmetrics_infra.settings import SettingsError
from cloudmetrics_policies.catalogue import POLICIES
from cloudmetrics_shared.environments import deploy_role_arn

from tests.infra.iam_evaluation import allowed, allowed_across_accounts
from tests.infra.mock_cloud import ENVIRONMENTS, INFRA, Snapshot
from tests.infra.policy_harness import run
from tests.infra.stack_builds import ACCOUNTS, FILLED_IN, build_stack
from tests.infra.test_check_stack_config import check, filled_in_copy
from tests.infra.test_policy_breakages import Breakage, broken, in_json
from tests.infra.test_settings import settings

REPOSITORY = "aws:ecr/repository:Repository"
REPOSITORY_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
NEXT_ACCOUNT = "cloudmetrics:nextEnvironmentAccountId"
PROMOTIONS = (("dev", "staging"), ("staging", "prod"))
# arn:aws:iam::aws:policy/PowerUserAccess, version v12 (AWS managed policy reference): the
# bootstrap attaches it to every deploy role.
POWER_USER_ACCESS: dict[str, list[dict[str, Any]]] = {
    "arn:aws:iam::aws:policy/PowerUserAccess": [
        {
            "Effect": "Allow",
            "NotAction": ["iam:*", "organizations:*", "account:*"],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": [
                "account:GetAccountInformation",
                "account:GetGovCloudAccountInformation",
                "account:GetPrimaryEmail",
                "account:ListRegions",
                "iam:CreateServiceLinkedRole",
                "iam:DeleteServiceLinkedRole",
                "iam:ListRoles",
                "organizations:DescribeEffectivePolicy",
                "organizations:DescribeOrganization",
            ],
            "Resource": "*",
        },
    ]
}
# Everything that would let the puller change what the source environment runs or keeps.
WRITE_ACTIONS = (
    "ecr:PutImage",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:BatchDeleteImage",
    "ecr:DeleteRepository",
    "ecr:SetRepositoryPolicy",
    "ecr:DeleteRepositoryPolicy",
    "ecr:PutLifecyclePolicy",
    "ecr:PutImageTagMutability",
    "ecr:TagResource",
)
# Reads a promotion does not need: the grant stays at exactly what it does.
OTHER_READS = ("ecr:DescribeImages", "ecr:ListImages", "ecr:GetRepositoryPolicy")


def repository_arn(stack: Snapshot) -> str:
    return str(stack.one(REPOSITORY).state["arn"])


def grants(stack: Snapshot) -> list[dict[str, Any]]:
    """Statements of the repository policies on this stack's repository."""
    repository = stack.one(REPOSITORY)
    return [
        statement
        for policy in stack.of_type(REPOSITORY_POLICY)
        if policy.inputs["repository"] == repository.state["name"]
        for statement in policy.json("policy")["Statement"]
    ]


def deploy_role(bootstraps: dict[str, Snapshot], environment: str) -> tuple[str, list[Any]]:
    """The deploy role's ARN and every statement of its identity policies (inline and managed)."""
    bootstrap = bootstraps[environment]
    role = bootstrap.named(f"github-{environment}")
    inline = [
        statement
        for policy in bootstrap.of_type("aws:iam/rolePolicy:RolePolicy")
        if policy.inputs["role"] == role.id
        for statement in policy.json("policy")["Statement"]
    ]
    attached = [
        attachment.inputs["policyArn"]
        for attachment in bootstrap.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if attachment.inputs["role"] == role.state["name"]
    ]
    unknown = set(attached) - set(POWER_USER_ACCESS)
    assert not unknown, f"no document for the managed policies {unknown}"
    managed = [statement for arn in attached for statement in POWER_USER_ACCESS[arn]]
    return str(role.state["arn"]), inline + managed


def may(
    bootstraps: dict[str, Snapshot], stacks: dict[str, Snapshot], who: str, action: str, whose: str
) -> bool:
    """May `who`'s deploy role do `action` to `whose` repository (another account's)?"""
    principal, identity = deploy_role(bootstraps, who)
    return allowed_across_accounts(
        identity, grants(stacks[whose]), principal, action, repository_arn(stacks[whose])
    )


def test_only_dev_and_staging_repositories_have_a_policy(stacks: dict[str, Snapshot]) -> None:
    counts = {env: len(stacks[env].of_type(REPOSITORY_POLICY)) for env in ENVIRONMENTS}
    assert counts == {"dev": 1, "staging": 1, "prod": 0}


@pytest.mark.parametrize(("source", "target"), PROMOTIONS)
def test_the_grant_is_the_next_deploy_role_and_the_pull_actions(
    stacks: dict[str, Snapshot], bootstraps: dict[str, Snapshot], source: str, target: str
) -> None:
    (statement,) = grants(stacks[source])
    expected = deploy_role_arn(ACCOUNTS[target], target)
    assert statement == {
        "Sid": "PromotionPull",
        "Effect": "Allow",
        "Principal": {"AWS": expected},
        "Action": [
            "ecr:BatchCheckLayerAvailability",
            "ecr:BatchGetImage",
            "ecr:GetDownloadUrlForLayer",
        ],
    }
    assert list(PULL_ACTIONS) == statement["Action"]
    # The very role the next account's bootstrap makes, not one of its name's lookalikes.
    assert deploy_role(bootstraps, target)[0] == expected


def test_staging_deploy_role_may_pull_from_dev_and_do_nothing_else(
    stacks: dict[str, Snapshot], bootstraps: dict[str, Snapshot]
) -> None:
    for action in PULL_ACTIONS:
        assert may(bootstraps, stacks, "staging", action, "dev"), action
    for action in WRITE_ACTIONS + OTHER_READS:
        assert not may(bootstraps, stacks, "staging", action, "dev"), action
    # The registry login: identity-based only (ECR has no resource for it).
    _, identity = deploy_role(bootstraps, "staging")
    assert allowed(identity, "ecr:GetAuthorizationToken", "*")


def test_prod_deploy_role_may_pull_from_staging_only(
    stacks: dict[str, Snapshot], bootstraps: dict[str, Snapshot]
) -> None:
    assert all(may(bootstraps, stacks, "prod", action, "staging") for action in PULL_ACTIONS)
    for action in PULL_ACTIONS:
        assert not may(bootstraps, stacks, "prod", action, "dev"), action
    for action in WRITE_ACTIONS:
        assert not may(bootstraps, stacks, "prod", action, "staging"), action


def test_nobody_pulls_against_the_promotion_order(
    stacks: dict[str, Snapshot], bootstraps: dict[str, Snapshot]
) -> None:
    for who, whose in (("dev", "staging"), ("dev", "prod"), ("staging", "prod")):
        for action in PULL_ACTIONS:
            assert not may(bootstraps, stacks, who, action, whose), (who, whose, action)


def test_the_deploy_role_itself_may_pull_any_repository(bootstraps: dict[str, Snapshot]) -> None:
    # The target side: PowerUserAccess allows every ECR action on any resource and no Deny of
    # the bootstrap's touches ECR, so the repository policy alone decides a cross-account pull.
    for environment in ENVIRONMENTS:
        _, identity = deploy_role(bootstraps, environment)
        elsewhere = f"arn:aws:ecr:eu-west-1:{ACCOUNTS['dev']}:repository/cloudmetrics-dev"
        for action in PULL_ACTIONS:
            assert allowed(identity, action, elsewhere), (environment, action)


@pytest.mark.parametrize("account", ["123456789012", "111122223333", "222222222222"])
def test_an_example_next_account_id_is_refused_by_name(account: str) -> None:
    with pytest.raises(SettingsError, match=NEXT_ACCOUNT):
        settings("dev", nextEnvironmentAccountId=account)


@pytest.mark.parametrize(
    ("environment", "value"),
    [("dev", "none"), ("staging", "none"), ("staging", "51927463018"), ("prod", ACCOUNTS["dev"])],
)
def test_the_next_account_follows_the_promotion_order(environment: str, value: str) -> None:
    with pytest.raises(SettingsError, match=NEXT_ACCOUNT):
        settings(environment, nextEnvironmentAccountId=value)


def test_the_committed_next_account_is_refused_before_anything_is_declared() -> None:
    with pytest.raises(SettingsError, match=f"{NEXT_ACCOUNT}: '222222222222' is an example"):
        build_stack("dev", as_committed=True)


def test_check_stack_config_refuses_an_example_next_account(tmp_path: Path) -> None:
    source = INFRA / "Pulumi.staging.yaml"
    values = {**FILLED_IN["staging"], NEXT_ACCOUNT: "123456789012"}
    result = check("--stack", "staging", "--file", str(filled_in_copy(tmp_path, source, values)))
    assert result.returncode == 1
    assert [line.split(": ")[1] for line in result.stderr.splitlines()] == [NEXT_ACCOUNT]


def test_committed_next_accounts_are_the_next_stacks_accounts() -> None:
    config = {
        env: yaml.safe_load((INFRA / f"Pulumi.{env}.yaml").read_text())["config"]
        for env in ENVIRONMENTS
    }
    for source, target in PROMOTIONS:
        assert config[source][NEXT_ACCOUNT] == config[target]["cloudmetrics:accountId"]
        assert FILLED_IN[source][NEXT_ACCOUNT] == ACCOUNTS[target]
    assert config["prod"][NEXT_ACCOUNT] == "none"


PACK_POLICY = next(p for p in POLICIES if p.name == "ecr-repository-policy-grants-only-pulls")


def with_statement(**changes: Any) -> Breakage:
    return Breakage(
        REPOSITORY_POLICY,
        in_json("policy", lambda document: document["Statement"][0].update(changes)),
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"Action": [*PULL_ACTIONS, "ecr:PutImage"]},
        {"Action": ["ECR:BatchDeleteImage"]},
        {"Action": "ecr:*"},
        {"Principal": "*"},
        {"Principal": {"AWS": "*"}},
        {"Principal": {"AWS": f"arn:aws:iam::{ACCOUNTS['staging']}:root"}},
        {"Principal": {"AWS": ACCOUNTS["staging"]}},
        {"Principal": {"Service": "codebuild.amazonaws.com"}},
        {"NotPrincipal": {"AWS": deploy_role_arn(ACCOUNTS["prod"], "prod")}},
    ],
    ids=json.dumps,
)
def test_the_pack_refuses_a_repository_policy_that_grants_more_than_pulls(
    stacks: dict[str, Snapshot], changes: dict[str, Any]
) -> None:
    assert run(PACK_POLICY, stacks["dev"]).violations == []
    assert run(PACK_POLICY, broken(stacks["dev"], with_statement(**changes))).violations != []


def test_the_pack_accepts_several_named_roles_and_any_deny(stacks: dict[str, Snapshot]) -> None:
    roles = [deploy_role_arn(ACCOUNTS[env], env) for env in ("staging", "prod")]
    deny = {"Effect": "Deny", "Principal": "*", "Action": "ecr:*"}

    def add_deny(document: dict[str, Any]) -> None:
        document["Statement"][0]["Principal"] = {"AWS": roles}
        document["Statement"].append(deny)

    changed = broken(stacks["dev"], Breakage(REPOSITORY_POLICY, in_json("policy", add_deny)))
    assert run(PACK_POLICY, changed).violations == []
