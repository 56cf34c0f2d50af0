"""The environment's image repository: immutable tags, scanned on push, old images expire."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from cloudmetrics_infra.settings import StackSettings

# Enough history to roll back weeks of deploys; everything older is only cost.
IMAGES_KEPT = 50
UNTAGGED_IMAGE_DAYS = 7


def lifecycle_policy() -> str:
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": "Drop untagged layers left by interrupted pushes",
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": UNTAGGED_IMAGE_DAYS,
                    },
                    "action": {"type": "expire"},
                },
                {
                    "rulePriority": 2,
                    "description": f"Keep the last {IMAGES_KEPT} images",
                    "selection": {
                        "tagStatus": "any",
                        "countType": "imageCountMoreThan",
                        "countNumber": IMAGES_KEPT,
                    },
                    "action": {"type": "expire"},
                },
            ]
        }
    )


@dataclass(frozen=True)
class RegistryArgs:
    settings: StackSettings


class Registry(pulumi.ComponentResource):
    repository: aws.ecr.Repository

    def __init__(
        self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudmetrics:infra:Registry", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.repository = aws.ecr.Repository(
            f"{name}-repository",
            name=args.settings.name_prefix,
            # A tag names one build forever: what was tested is what is deployed.
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "KMS"}],
            opts=child,
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle",
            repository=self.repository.name,
            policy=lifecycle_policy(),
            opts=child,
        )
        self.register_outputs(
            {"repositoryUrl": self.repository.repository_url, "repositoryArn": self.repository.arn}
        )
