"""Container definitions of the web service and of its one-off and scheduled tasks.

All run the same image with the same configuration; the command differs, and so do the
credentials: each gets only those its command uses. Everything the service reads from its
environment arrives as `secrets` (valueFrom a parameter or a secret); the plain `environment`
holds only values that are neither configuration nor secret.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import pulumi

from cloudmetrics_infra.settings import SERVICE_PORT

CONTAINER_NAME = "cloudmetrics"
# Runs as an unprivileged user (Security Hub ECS.20); the image's files need only be readable.
CONTAINER_USER = "10001:10001"
SERVE_COMMAND = ("cloudmetrics", "serve")
# --allow-ahead: redeploying the previous release (a rollback) finds the database already
# expanded by the newer one; that is a no-op under expand/contract, not an error. Edited or
# deleted migrations are still refused.
MIGRATE_COMMAND = ("cloudmetrics", "migrate", "up", "--allow-ahead")
# The migration task's first step, as the master user: the roles everything else connects as.
ROLES_COMMAND = ("cloudmetrics", "roles", "ensure")
ROLES_CONTAINER_NAME = "database-roles"
# `cloudmetrics healthcheck` hits /health: slim images have no curl (docs/adr on health checks).
HEALTH_CHECK_COMMAND = ("CMD", "cloudmetrics", "healthcheck")
# The JSON keys of a database secret (the RDS-managed one and the roles' own alike).
SECRET_USER_KEY = "username"  # noqa: S105 -- a JSON key name
SECRET_PASSWORD_KEY = "password"  # noqa: S105 -- a JSON key name, not a password


def secret_reference(secret_arn: str, json_key: str) -> str:
    """ECS's valueFrom for one key of a JSON secret: arn:json-key:version-stage:version-id."""
    return f"{secret_arn}:{json_key}::"


@dataclass(frozen=True)
class ContainerInputs:
    image: str
    region: str
    log_group: str
    release_id: str
    parameter_arns: Mapping[str, str]
    database_secret_arn: str
    """The RDS-managed secret of the master user: only `roles ensure` connects as it."""
    cache_secret_arn: str
    session_secret_arn: str
    database_owner_secret_arn: str
    database_service_secret_arn: str


class Credential(enum.Enum):
    """A secret a task's command may need, by what it unlocks."""

    SERVICE_DATABASE = "the database as <database>_service (PGUSER, PGPASSWORD)"
    OWNER_DATABASE = "the database as <database>_owner (PGUSER, PGPASSWORD)"
    MASTER_DATABASE = "the database as the RDS master user (PGUSER, PGPASSWORD)"
    ROLE_PASSWORDS = "the passwords `roles ensure` sets on the owner and service roles"
    CACHE = "Redis (REDIS_PASSWORD)"
    SESSION = "the CSRF signing key (SESSION_SECRET)"


# The service reads and writes the database, uses Redis and signs forms; the smoke key's
# registration only writes a key. Migrations and maintenance (DDL, partitions) connect as the
# owner; only the migration task's roles step connects as the master user.
SERVICE_CREDENTIALS: Final = frozenset(
    {Credential.SERVICE_DATABASE, Credential.CACHE, Credential.SESSION}
)
SERVICE_DATABASE_ONLY: Final = frozenset({Credential.SERVICE_DATABASE})
OWNER_DATABASE_ONLY: Final = frozenset({Credential.OWNER_DATABASE})
ROLES_STEP: Final = frozenset({Credential.MASTER_DATABASE, Credential.ROLE_PASSWORDS})


def _database_login(secret_arn: str) -> list[tuple[str, str]]:
    return [
        ("PGUSER", secret_reference(secret_arn, SECRET_USER_KEY)),
        ("PGPASSWORD", secret_reference(secret_arn, SECRET_PASSWORD_KEY)),
    ]


def secrets(inputs: ContainerInputs, credentials: Collection[Credential]) -> list[dict[str, str]]:
    # Configuration parameters are not secret (SSM String parameters): every task gets them all,
    # so every command reads the same settings.
    injected = [
        {"name": variable, "valueFrom": arn}
        for variable, arn in sorted(inputs.parameter_arns.items())
    ]
    value_from: dict[Credential, list[tuple[str, str]]] = {
        Credential.SERVICE_DATABASE: _database_login(inputs.database_service_secret_arn),
        Credential.OWNER_DATABASE: _database_login(inputs.database_owner_secret_arn),
        Credential.MASTER_DATABASE: _database_login(inputs.database_secret_arn),
        Credential.ROLE_PASSWORDS: [
            (
                "DATABASE_OWNER_PASSWORD",
                secret_reference(inputs.database_owner_secret_arn, SECRET_PASSWORD_KEY),
            ),
            (
                "DATABASE_SERVICE_PASSWORD",
                secret_reference(inputs.database_service_secret_arn, SECRET_PASSWORD_KEY),
            ),
        ],
        # The Redis AUTH token: the whole secret string.
        Credential.CACHE: [("REDIS_PASSWORD", inputs.cache_secret_arn)],
        # The CSRF signing key: the same in every task, so a form served by one is accepted by
        # all.
        Credential.SESSION: [("SESSION_SECRET", inputs.session_secret_arn)],
    }
    injected.extend(
        {"name": variable, "valueFrom": reference}
        for credential in Credential
        if credential in credentials
        for variable, reference in value_from[credential]
    )
    return injected


def container_definition(
    inputs: ContainerInputs,
    *,
    command: Sequence[str],
    stream_prefix: str,
    serves_http: bool,
    credentials: Collection[Credential],
    name: str = CONTAINER_NAME,
    essential: bool = True,
) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "name": name,
        "image": inputs.image,
        "command": list(command),
        "essential": essential,
        "user": CONTAINER_USER,
        "privileged": False,
        "readonlyRootFilesystem": True,
        "environment": [
            {"name": "HOST", "value": "0.0.0.0"},  # noqa: S104 -- the task's own network namespace
            {"name": "PORT", "value": str(SERVICE_PORT)},
            {"name": "RELEASE_ID", "value": inputs.release_id},
        ],
        "secrets": secrets(inputs, credentials),
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": inputs.log_group,
                "awslogs-region": inputs.region,
                "awslogs-stream-prefix": stream_prefix,
            },
        },
    }
    if serves_http:
        definition["portMappings"] = [{"containerPort": SERVICE_PORT, "protocol": "tcp"}]
        definition["healthCheck"] = {
            "command": list(HEALTH_CHECK_COMMAND),
            "interval": 15,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 30,
        }
    return definition


def container_inputs(
    *,
    repository_url: pulumi.Input[str],
    image_tag: str,
    region: str,
    log_group_name: pulumi.Input[str],
    parameter_arns: Mapping[str, pulumi.Input[str]],
    database_secret_arn: pulumi.Input[str],
    cache_secret_arn: pulumi.Input[str],
    session_secret_arn: pulumi.Input[str],
    database_owner_secret_arn: pulumi.Input[str],
    database_service_secret_arn: pulumi.Input[str],
) -> pulumi.Output[ContainerInputs]:
    """Resolve the resource outputs a container definition needs into one plain value."""
    names = list(parameter_arns)
    return pulumi.Output.all(
        repository_url,
        log_group_name,
        database_secret_arn,
        cache_secret_arn,
        session_secret_arn,
        database_owner_secret_arn,
        database_service_secret_arn,
        *[parameter_arns[variable] for variable in names],
    ).apply(
        lambda values: ContainerInputs(
            image=f"{values[0]}:{image_tag}",
            region=region,
            log_group=values[1],
            release_id=image_tag,
            parameter_arns=dict(zip(names, values[7:], strict=True)),
            database_secret_arn=values[2],
            cache_secret_arn=values[3],
            session_secret_arn=values[4],
            database_owner_secret_arn=values[5],
            database_service_secret_arn=values[6],
        )
    )


def definitions_json(
    inputs: pulumi.Output[ContainerInputs],
    *,
    command: Sequence[str],
    stream_prefix: str,
    serves_http: bool,
    credentials: Collection[Credential],
) -> pulumi.Output[str]:
    return inputs.apply(
        lambda resolved: json.dumps(
            [
                container_definition(
                    resolved,
                    command=command,
                    stream_prefix=stream_prefix,
                    serves_http=serves_http,
                    credentials=credentials,
                )
            ]
        )
    )
