"""The API key the deploy's smoke test authenticates with, one per environment.

Made here rather than by the service: the deploy must be able to read it (from Secrets Manager,
into a Dagger secret) and the service must be able to register it (from a one-off task that gets
it as a task secret), and neither should hand it to the other. It has the service's key format,
`cm_<16 hex digits>_<43 URL-safe base64 characters>` (identity/key_format.py): the id from a
RandomId, the secret part from a RandomPassword over exactly the URL-safe alphabet (64
characters, drawn uniformly: 258 bits). Kept in Pulumi's state as a secret (encrypted with the
environment's KMS key) and in Secrets Manager (docs/adr/0051).
"""

from __future__ import annotations

import pulumi
import pulumi_random as random
from cloudmetrics_shared.environments import SMOKE_KEY_SECRET, secret_name_prefix

from cloudmetrics_infra.generated_secret import stored_secret
from cloudmetrics_infra.settings import StackSettings

KEY_PREFIX = "cm_"
KEY_ID_BYTES = 8  # 16 hex digits
KEY_SECRET_LENGTH = 43  # what secrets.token_urlsafe(32) makes
# With upper- and lower-case letters and digits: the URL-safe base64 alphabet.
URL_SAFE_SPECIALS = "-_"


def key_text(key_id_hex: str, secret_part: str) -> str:
    return f"{KEY_PREFIX}{key_id_hex}_{secret_part}"


class SmokeKey(pulumi.ComponentResource):
    secret_arn: pulumi.Output[str]

    def __init__(
        self, name: str, settings: StackSettings, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudmetrics:infra:SmokeKey", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key_id = random.RandomId(f"{name}-id", byte_length=KEY_ID_BYTES, opts=child)
        secret_part = random.RandomPassword(
            f"{name}-secret-part",
            length=KEY_SECRET_LENGTH,
            upper=True,
            lower=True,
            numeric=True,
            special=True,
            override_special=URL_SAFE_SPECIALS,
            # A new id always brings a new secret part: the service refuses a stored id with
            # another secret, so rotating means replacing the id (docs/runbook.md).
            keepers={"keyId": key_id.hex},
            opts=child,
        )
        text = pulumi.Output.secret(
            pulumi.Output.all(key_id.hex, secret_part.result).apply(
                lambda parts: key_text(parts[0], parts[1])
            )
        )
        secret = stored_secret(
            name,
            settings,
            label=SMOKE_KEY_SECRET,
            fixed_name=f"{secret_name_prefix(settings.environment)}{SMOKE_KEY_SECRET}",
            description=f"API key of the {settings.name_prefix} deploy's smoke test",
            secret_string=text,
            opts=child,
        )
        self.secret_arn = secret.arn
        self.register_outputs({"secretArn": self.secret_arn})
