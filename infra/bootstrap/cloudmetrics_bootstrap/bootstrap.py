"""Build the bootstrap of one AWS account from its settings."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from cloudmetrics_shared.tags import default_tags

from cloudmetrics_bootstrap.github_oidc import GitHubDeployRoles, GitHubDeployRolesArgs
from cloudmetrics_bootstrap.secrets_keys import SecretsKey, SecretsKeyArgs
from cloudmetrics_bootstrap.settings import BootstrapSettings
from cloudmetrics_bootstrap.state_bucket import StateBucket, StateBucketArgs


@dataclass(frozen=True)
class Bootstrap:
    outputs: dict[str, pulumi.Output[object]]


def build_bootstrap(settings: BootstrapSettings) -> Bootstrap:
    provider = aws.Provider(
        "aws",
        region=settings.region,
        allowed_account_ids=[settings.account_id],
        default_tags={
            "tags": {
                **default_tags(pulumi.get_stack(), settings.owner, settings.cost_centre),
                "Stack": "bootstrap",
            }
        },
    )
    on_aws = pulumi.ResourceOptions(providers=[provider])
    state = StateBucket("state", StateBucketArgs(settings.state_bucket_name), on_aws)
    keys = {
        environment: SecretsKey(f"secrets-{environment}", SecretsKeyArgs(environment), on_aws)
        for environment in settings.environments
    }
    roles = GitHubDeployRoles(
        "github",
        GitHubDeployRolesArgs(
            settings=settings,
            state_bucket_arn=state.bucket.arn,
            secrets_key_arns={environment: key.key.arn for environment, key in keys.items()},
        ),
        on_aws,
    )
    return Bootstrap(
        outputs={
            "backendUrl": pulumi.Output.from_input(
                f"s3://{settings.state_bucket_name}?region={settings.region}"
            ),
            "secretsProviders": pulumi.Output.from_input(
                {
                    environment: f"awskms://{BootstrapSettings.secrets_key_alias(environment)}"
                    f"?region={settings.region}"
                    for environment in settings.environments
                }
            ),
            "oidcProviderArn": roles.provider.arn,
            "deployRoleArns": pulumi.Output.all(**roles.role_arns),
        }
    )
