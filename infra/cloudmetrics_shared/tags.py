"""The tags every AWS resource of ours carries, through its provider's default tags."""

from __future__ import annotations

from cloudmetrics_shared.environments import PROJECT

TAG_KEYS = ("Project", "Environment", "Owner", "CostCentre", "ManagedBy")


def default_tags(environment: str, owner: str, cost_centre: str) -> dict[str, str]:
    return {
        "Project": PROJECT,
        "Environment": environment,
        "Owner": owner,
        "CostCentre": cost_centre,
        "ManagedBy": "pulumi",
    }
