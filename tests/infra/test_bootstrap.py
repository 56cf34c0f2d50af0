"""The per-account bootstrap: state bucket, secrets keys, GitHub OIDC deploy roles."""

from __future__ import annotations

from typing import Any

import yaml

from tests.infra.iam_evaluation import allowed, denied
from tests.infra.mock_cloud import ENVIRONMENTS, INFRA, Resource, Snapshot
from tests.infra.snapshot_views import allow_statements, as_list
from tests.infra.stack_builds import BOOTSTRAP_FILLED_IN, FILLED_IN

REPOSITORY = "cloudmetrics/cloudmetrics"
SECRET = "aws:secretsmanager/secret:Secret"
READ_SECRET = "secretsmanager:GetSecretValue"
ISSUER = "token.actions.githubusercontent.com"


def stack_file(*parts: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(INFRA.joinpath(*parts).read_text())
    return document


def deploy_role(snapshot: Snapshot, environment: str) -> Resource:
    return snapshot.named(f"github-{environment}")


def deploy_statements(snapshot: Snapshot, environment: str) -> list[dict[str, Any]]:
    policy = snapshot.named(f"github-{environment}-deploy")
    assert policy.inputs["role"] == deploy_role(snapshot, environment).id
    statements: list[dict[str, Any]] = policy.json("policy")["Statement"]
    return statements


def test_state_bucket_is_versioned(bootstraps: dict[str, Snapshot]) -> None:
    for snapshot in bootstraps.values():
        versioning = snapshot.one("aws:s3/bucketVersioning:BucketVersioning").inputs
        assert versioning["bucket"] == snapshot.named("state-bucket").id
        assert versioning["versioningConfiguration"] == {"status": "Enabled"}


def test_state_bucket_is_encrypted_with_kms(bootstraps: dict[str, Snapshot]) -> None:
    for snapshot in bootstraps.values():
        sse = snapshot.one(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        ).inputs
        (rule,) = sse["rules"]
        assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"


def test_s3_8_state_bucket_blocks_public_access(bootstraps: dict[str, Snapshot]) -> None:
    for snapshot in bootstraps.values():
        block = snapshot.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
        assert all(
            block[key] is True
            for key in (
                "blockPublicAcls",
                "blockPublicPolicy",
                "ignorePublicAcls",
                "restrictPublicBuckets",
            )
        )


def test_s3_5_state_bucket_accepts_only_tls(bootstraps: dict[str, Snapshot]) -> None:
    for snapshot in bootstraps.values():
        bucket_arn = snapshot.named("state-bucket").state["arn"]
        (statement,) = snapshot.one("aws:s3/bucketPolicy:BucketPolicy").json("policy")["Statement"]
        assert statement["Effect"] == "Deny"
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert statement["Resource"] == [bucket_arn, f"{bucket_arn}/*"]


def test_backend_url_names_the_state_bucket(bootstraps: dict[str, Snapshot]) -> None:
    for snapshot in bootstraps.values():
        bucket = snapshot.named("state-bucket").inputs["bucket"]
        assert snapshot.outputs["backendUrl"] == f"s3://{bucket}?region=eu-west-1"


def test_kms_4_each_environment_has_a_rotating_secrets_key(bootstraps: dict[str, Snapshot]) -> None:
    for environment, snapshot in bootstraps.items():
        key = snapshot.named(f"secrets-{environment}-key")
        assert key.inputs["enableKeyRotation"] is True
        alias = snapshot.named(f"secrets-{environment}-alias").inputs
        assert alias["name"] == f"alias/cloudmetrics-pulumi-{environment}"
        assert alias["targetKeyId"] == key.state["keyId"]


def test_main_stacks_use_the_bootstrapped_key_and_account(bootstraps: dict[str, Snapshot]) -> None:
    for environment, snapshot in bootstraps.items():
        main = stack_file(f"Pulumi.{environment}.yaml")
        assert main["secretsprovider"] == snapshot.outputs["secretsProviders"][environment]
        bootstrap = stack_file("bootstrap", f"Pulumi.{environment}.yaml")["config"]
        # Committed placeholders and filled-in values alike: one account per environment.
        assert (
            bootstrap["cloudmetrics-bootstrap:accountId"]
            == main["config"]["cloudmetrics:accountId"]
        )
        assert (
            BOOTSTRAP_FILLED_IN[environment]["cloudmetrics-bootstrap:accountId"]
            == FILLED_IN[environment]["cloudmetrics:accountId"]
        )


def test_github_oidc_provider_issues_tokens_for_sts(bootstraps: dict[str, Snapshot]) -> None:
    for snapshot in bootstraps.values():
        provider = snapshot.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider").inputs
        assert provider["url"] == f"https://{ISSUER}"
        assert provider["clientIdLists"] == ["sts.amazonaws.com"]


def test_deploy_role_trusts_only_this_repository_and_github_environment(
    bootstraps: dict[str, Snapshot],
) -> None:
    for environment, snapshot in bootstraps.items():
        (statement,) = deploy_role(snapshot, environment).json("assumeRolePolicy")["Statement"]
        provider = snapshot.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
        assert statement["Principal"] == {"Federated": provider.state["arn"]}
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        # StringEquals, not StringLike: no wildcard can widen the subject.
        assert statement["Condition"] == {
            "StringEquals": {
                f"{ISSUER}:aud": "sts.amazonaws.com",
                f"{ISSUER}:sub": f"repo:{REPOSITORY}:environment:{environment}",
            }
        }


def test_deploy_policies_grant_no_wildcard_actions(bootstraps: dict[str, Snapshot]) -> None:
    for snapshot in bootstraps.values():
        for resource, statement in allow_statements(snapshot):
            assert all("*" not in action for action in as_list(statement["Action"])), resource.name


def test_deploy_role_manages_only_its_environments_roles(bootstraps: dict[str, Snapshot]) -> None:
    for environment, snapshot in bootstraps.items():
        account = BOOTSTRAP_FILLED_IN[environment]["cloudmetrics-bootstrap:accountId"]
        for statement in deploy_statements(snapshot, environment):
            actions = as_list(statement["Action"])
            if any(action.startswith("iam:") for action in actions) and actions != [
                "iam:CreateServiceLinkedRole"
            ]:
                assert statement["Resource"] in (
                    [f"arn:aws:iam::{account}:role/cloudmetrics/{environment}/*"],
                    # Reading (and, denied, changing) the environment's role boundary.
                    [f"arn:aws:iam::{account}:policy/cloudmetrics/{environment}/role-boundary"],
                )


def diy_backend_objects(bucket_arn: str, project: str, stack: str) -> list[str]:
    """Objects Pulumi's DIY backend writes for a stack in its project-scoped layout (meta.yaml
    version 1): pkg/backend/diy's projectReferenceStore (StackBasePath, HistoryDir, BackupDir)
    and lockPath (locks under the fully qualified name organization/<project>/<stack>)."""
    root = f"{bucket_arn}/.pulumi"
    return [
        f"{root}/stacks/{project}/{stack}.json",
        f"{root}/stacks/{project}/{stack}.json.bak",
        f"{root}/stacks/{project}/{stack}.json.gz",
        f"{root}/history/{project}/{stack}/{stack}-1767225600000000000.checkpoint.json",
        f"{root}/history/{project}/{stack}/{stack}-1767225600000000000.history.json",
        f"{root}/backups/{project}/{stack}/{stack}.1767225600000000000.json",
        f"{root}/locks/organization/{project}/{stack}/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0.json",
    ]


STATE_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")


def test_deploy_role_reaches_every_state_object_of_its_own_stack(
    bootstraps: dict[str, Snapshot],
) -> None:
    for environment, snapshot in bootstraps.items():
        bucket = snapshot.named("state-bucket").state["arn"]
        statements = deploy_statements(snapshot, environment)
        for key in diy_backend_objects(bucket, "cloudmetrics", environment):
            for action in STATE_ACTIONS:
                assert allowed(statements, action, key), (environment, action, key)


def test_roles_of_a_shared_account_reach_only_their_own_state_and_key(
    shared_account_bootstrap: Snapshot,
) -> None:
    snapshot = shared_account_bootstrap
    bucket = snapshot.named("state-bucket").state["arn"]
    for environment, other in (("dev", "staging"), ("staging", "dev")):
        own_key = snapshot.named(f"secrets-{environment}-key").state["arn"]
        other_key = snapshot.named(f"secrets-{other}-key").state["arn"]
        statements = deploy_statements(snapshot, environment)
        assert allowed(statements, "kms:Decrypt", own_key)
        # PowerUserAccess is attached too, so only an explicit Deny keeps the other
        # environment's checkpoint, history, backups and locks, and its key, out of reach.
        assert denied(statements, "kms:Decrypt", other_key)
        for key in diy_backend_objects(bucket, "cloudmetrics", other):
            for action in STATE_ACTIONS:
                assert denied(statements, action, key), (environment, action, key)
        for key in diy_backend_objects(bucket, "cloudmetrics", environment):
            assert not denied(statements, "s3:PutObject", key), key


def test_deploy_roles_cannot_touch_the_bootstraps_own_state(
    bootstraps: dict[str, Snapshot],
) -> None:
    for environment, snapshot in bootstraps.items():
        bucket = snapshot.named("state-bucket").state["arn"]
        statements = deploy_statements(snapshot, environment)
        for key in diy_backend_objects(bucket, "cloudmetrics-bootstrap", environment):
            for action in STATE_ACTIONS:
                assert denied(statements, action, key), (action, key)


def test_every_environment_of_the_account_gets_a_role(shared_account_bootstrap: Snapshot) -> None:
    roles = {role.name for role in shared_account_bootstrap.of_type("aws:iam/role:Role")}
    assert roles == {"github-dev", "github-staging"}
    assert set(shared_account_bootstrap.outputs["deployRoleArns"]) == {"dev", "staging"}


def test_bootstrap_stacks_cover_every_environment() -> None:
    covered = [
        environment
        for name in ENVIRONMENTS
        for environment in stack_file("bootstrap", f"Pulumi.{name}.yaml")["config"][
            "cloudmetrics-bootstrap:environments"
        ]
    ]
    assert sorted(covered) == sorted(ENVIRONMENTS)


def secret_arns(stack: Snapshot) -> dict[str, str]:
    """Every Secrets Manager secret the environment has: its stack's, and the one RDS made."""
    arns = {secret.name: secret.state["arn"] for secret in stack.of_type(SECRET)}
    instance = stack.one("aws:rds/instance:Instance")
    arns["rds-managed"] = instance.state["masterUserSecrets"][0]["secretArn"]
    return arns


def test_deploy_role_reads_the_smoke_key_and_never_the_database_secret(
    bootstraps: dict[str, Snapshot], stacks: dict[str, Snapshot]
) -> None:
    for environment, snapshot in bootstraps.items():
        statements = deploy_statements(snapshot, environment)
        arns = secret_arns(stacks[environment])
        assert set(arns) == {
            "smoke-key-secret",
            "session-secret",
            "cache-auth-secret",
            "database-roles-owner-secret",
            "database-roles-service-secret",
            "rds-managed",
        }
        # The one secret the deploy reads itself, granted by name.
        readable = [name for name, arn in arns.items() if allowed(statements, READ_SECRET, arn)]
        assert readable == ["smoke-key-secret"]
        # PowerUserAccess grants the rest; the Deny leaves Pulumi the secrets it writes and
        # takes away the database password, which neither Pulumi nor the deploy ever reads.
        refused = [name for name, arn in arns.items() if denied(statements, READ_SECRET, arn)]
        assert refused == ["rds-managed"]
        account = BOOTSTRAP_FILLED_IN[environment]["cloudmetrics-bootstrap:accountId"]
        elsewhere = f"arn:aws:secretsmanager:eu-west-1:{account}:secret:billing/api-key-AbCdEf"
        assert denied(statements, READ_SECRET, elsewhere)


def in_account(arn: str, account: str) -> str:
    parts = arn.split(":")
    parts[4] = account
    return ":".join(parts)


def test_roles_of_a_shared_account_read_only_their_own_smoke_key(
    shared_account_bootstrap: Snapshot, stacks: dict[str, Snapshot]
) -> None:
    # Both environments' secrets, as they would be named in the one account they share.
    account = BOOTSTRAP_FILLED_IN["dev"]["cloudmetrics-bootstrap:accountId"]
    for environment, other in (("dev", "staging"), ("staging", "dev")):
        statements = deploy_statements(shared_account_bootstrap, environment)
        own = in_account(secret_arns(stacks[environment])["smoke-key-secret"], account)
        assert allowed(statements, READ_SECRET, own)
        for theirs in secret_arns(stacks[other]).values():
            assert denied(statements, READ_SECRET, in_account(theirs, account)), theirs
