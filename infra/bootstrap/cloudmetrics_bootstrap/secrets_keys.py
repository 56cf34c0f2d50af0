"""One KMS key per environment for Pulumi's secrets provider (awskms://alias/cloudmetrics-pulumi-<env>).

A key per environment means the dev deploy role can decrypt dev's stack secrets and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from cloudmetrics_bootstrap.settings import BootstrapSettings


@dataclass(frozen=True)
class SecretsKeyArgs:
    environment: str


class SecretsKey(pulumi.ComponentResource):
    key: aws.kms.Key
    alias: aws.kms.Alias

    def __init__(
        self, name: str, args: SecretsKeyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudmetrics:bootstrap:SecretsKey", name, None, opts)
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"Pulumi secrets of the cloudmetrics {args.environment} stack",
            # Security Hub KMS.4: yearly automatic rotation; old versions still decrypt.
            enable_key_rotation=True,
            deletion_window_in_days=30,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        self.alias = aws.kms.Alias(
            f"{name}-alias",
            name=BootstrapSettings.secrets_key_alias(args.environment),
            target_key_id=self.key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"keyArn": self.key.arn, "alias": self.alias.name})
