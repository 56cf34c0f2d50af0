"""The environments CloudMetrics runs in: the one list every program, check and test reads."""

from __future__ import annotations

PROJECT = "cloudmetrics"
"""The main Pulumi project (infra/Pulumi.yaml): stack names are the environments."""

ENVIRONMENTS = ("dev", "staging", "prod")
"""Promotion order: dev on every merge, then staging, then prod."""


def iam_path(environment: str) -> str:
    """IAM path of the roles an environment's stack creates; its deploy role manages only these."""
    return f"/{PROJECT}/{environment}/"


SMOKE_KEY_SECRET = "smoke-api-key"  # noqa: S105 -- a secret's name, not a secret
"""The secret holding an environment's smoke key, under `secret_name_prefix` (docs/adr/0051)."""


def secret_name_prefix(environment: str) -> str:
    """What every Secrets Manager secret an environment's stack makes is named under.

    The deploy role may read secrets under this prefix only (the ones its stack makes, which its
    state holds anyway), never the database's RDS-managed secret or another environment's.
    """
    return f"{PROJECT}-{environment}/"


def next_environment(environment: str) -> str | None:
    """The environment `environment`'s images are promoted to, or None for the last one."""
    position = ENVIRONMENTS.index(environment)
    return ENVIRONMENTS[position + 1] if position + 1 < len(ENVIRONMENTS) else None


def deploy_role_name(environment: str) -> str:
    """The GitHub Actions deploy role the bootstrap makes for `environment` (at the IAM root path:
    `iam_path` holds the roles that environment's stack makes, which the deploy role manages)."""
    return f"{PROJECT}-deploy-{environment}"


def deploy_role_arn(account_id: str, environment: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{deploy_role_name(environment)}"
