"""The credentials of the database's own roles (docs/adr/0058).

Nothing but the migration task's first step (`cloudmetrics roles ensure`) connects as the RDS
master user: it creates <database>_owner, which migrations and maintenance connect as, and
<database>_service, which the service and the smoke key's registration connect as and which may
only read and write the application's tables. Each role's name and generated password are one
JSON secret ({"username", "password"}), injected into a task as PGUSER and PGPASSWORD.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_random as random

from cloudmetrics_infra.generated_secret import stored_secret
from cloudmetrics_infra.settings import DATABASE_OWNER_USER, DATABASE_SERVICE_USER, StackSettings

# Letters and digits: safe in a URL, a shell and a SQL literal alike.
PASSWORD_LENGTH = 40


class DatabaseRoleSecrets(pulumi.ComponentResource):
    owner_secret_arn: pulumi.Output[str]
    service_secret_arn: pulumi.Output[str]

    def __init__(
        self, name: str, settings: StackSettings, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudmetrics:infra:DatabaseRoleSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        arns: dict[str, pulumi.Output[str]] = {}
        for role, user in (("owner", DATABASE_OWNER_USER), ("service", DATABASE_SERVICE_USER)):
            password = random.RandomPassword(
                f"{name}-{role}-password", length=PASSWORD_LENGTH, special=False, opts=child
            )
            secret = stored_secret(
                f"{name}-{role}",
                settings,
                label=f"database-{role}",
                description=f"{settings.name_prefix} database role {user}",
                secret_string=password.result.apply(
                    lambda value, user=user: json.dumps({"username": user, "password": value})
                ),
                opts=child,
            )
            arns[role] = secret.arn
        self.owner_secret_arn = arns["owner"]
        self.service_secret_arn = arns["service"]
        self.register_outputs(
            {"ownerSecretArn": self.owner_secret_arn, "serviceSecretArn": self.service_secret_arn}
        )
