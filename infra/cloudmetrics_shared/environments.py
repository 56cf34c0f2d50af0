"""The environments CloudMetrics runs in: the one list every program, check and test reads."""

from __future__ import annotations

PROJECT = "cloudmetrics"
"""The main Pulumi project (infra/Pulumi.yaml): stack names are the environments."""

ENVIRONMENTS = ("dev", "staging", "prod")
"""Promotion order: dev on every merge, then staging, then prod."""


def iam_path(environment: str) -> str:
    """IAM path of the roles an environment's stack creates; its deploy role manages only these."""
    return f"/{PROJECT}/{environment}/"
