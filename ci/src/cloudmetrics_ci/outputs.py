"""The infra stack outputs the deploy reads (names fixed by the project contract)."""

import json
from dataclasses import dataclass
from typing import Any, cast


class StackOutputError(ValueError):
    """`pulumi stack output --json` did not hold what the deploy needs."""


def _text(outputs: dict[str, Any], name: str) -> str:
    value = outputs.get(name)
    if not isinstance(value, str) or not value:
        raise StackOutputError(f"stack output {name!r} is missing or not a string")
    return value


def _texts(outputs: dict[str, Any], name: str) -> tuple[str, ...]:
    value = outputs.get(name)
    if not isinstance(value, list) or not value:
        raise StackOutputError(f"stack output {name!r} is missing or not a list")
    items = cast(list[Any], value)
    if not all(isinstance(item, str) and item for item in items):
        raise StackOutputError(f"stack output {name!r} holds something other than strings")
    return tuple(cast(list[str], items))


@dataclass(frozen=True)
class StackOutputs:
    """Where the environment's pieces live."""

    alb_url: str
    ecr_repository_url: str
    cluster_name: str
    service_name: str
    migration_task_definition_arn: str
    private_subnet_ids: tuple[str, ...]
    service_security_group_id: str

    @classmethod
    def from_json(cls, text: str) -> "StackOutputs":
        """Parse `pulumi stack output --json`."""
        try:
            raw: object = json.loads(text)
        except json.JSONDecodeError as error:
            raise StackOutputError(f"stack outputs are not JSON: {error}") from error
        if not isinstance(raw, dict):
            raise StackOutputError("stack outputs are not a JSON object")
        outputs = cast(dict[str, Any], raw)
        return cls(
            alb_url=_text(outputs, "albUrl"),
            ecr_repository_url=_text(outputs, "ecrRepositoryUrl"),
            cluster_name=_text(outputs, "clusterName"),
            service_name=_text(outputs, "serviceName"),
            migration_task_definition_arn=_text(outputs, "migrationTaskDefinitionArn"),
            private_subnet_ids=_texts(outputs, "privateSubnetIds"),
            service_security_group_id=_text(outputs, "serviceSecurityGroupId"),
        )

    @property
    def registry(self) -> str:
        """The registry host that `docker login` / publish authenticates against."""
        return self.ecr_repository_url.split("/", 1)[0]

    @property
    def repository_name(self) -> str:
        """The ECR repository name, as `aws ecr` commands want it."""
        return self.ecr_repository_url.split("/", 1)[1]

    @property
    def migration_task_family(self) -> str:
        """The task definition family, without the revision.

        The ARN output may still name the previous revision right after the
        targeted update registered a new one; the family always resolves to the
        latest active revision.
        """
        name = self.migration_task_definition_arn.rsplit("/", 1)[-1]
        return name.split(":", 1)[0]
