"""The key that signs the service's CSRF tokens, shared by every task of an environment.

Each task would otherwise make up its own (the service logs `session_secret_generated`), and a
form rendered by one task would be refused by the next. Generated here, kept in Pulumi's state
as a secret (encrypted with the environment's KMS key) and in Secrets Manager, from where the
task definition injects it as SESSION_SECRET.
"""

from __future__ import annotations

import pulumi
import pulumi_random as random

from cloudmetrics_infra.generated_secret import stored_secret
from cloudmetrics_infra.settings import StackSettings

# The service refuses fewer than 32 characters; letters and digits keep it shell- and URL-safe.
SESSION_SECRET_LENGTH = 64


class SessionSecret(pulumi.ComponentResource):
    secret_arn: pulumi.Output[str]

    def __init__(
        self, name: str, settings: StackSettings, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudmetrics:infra:SessionSecret", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        value = random.RandomPassword(
            f"{name}-value", length=SESSION_SECRET_LENGTH, special=False, opts=child
        )
        secret = stored_secret(
            name,
            settings,
            label="session-secret",
            fixed_name=f"{settings.name_prefix}/session-secret",
            description=f"Signing key of the {settings.name_prefix} service's CSRF tokens",
            secret_string=value.result,
            opts=child,
        )
        self.secret_arn = secret.arn
        self.register_outputs({"secretArn": self.secret_arn})
