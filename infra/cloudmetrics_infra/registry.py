"""The environment's image repository: immutable tags, scanned on push, old images expire, and
pulled from by the next environment's deploy role when a promotion copies an image."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from cloudmetrics_infra.settings import StackSettings

# Enough history to roll back weeks of deploys; everything older is only cost.
IMAGES_KEPT = 50
UNTAGGED_IMAGE_DAYS = 7
# What a promotion does in the source repository (docs/adr/0046): `aws ecr batch-get-image` looks
# the tag up and the pull fetches the manifest (BatchGetImage), then the layers
# (GetDownloadUrlForLayer). BatchCheckLayerAvailability only reports whether layers exist; AWS's
# read-only policy (AmazonEC2ContainerRegistryReadOnly) grants it with the other two. All three
# only read: nothing here lets the puller push, tag, delete or change the repository.
PULL_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)


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


def pull_policy(puller_arn: str) -> str:
    """A repository policy letting one role, by its ARN, pull images and nothing else.

    The principal is the role, not its account: no other role of that account may pull. ECR
    refuses the policy while that role does not exist (bootstrap the next account first).
    Encryption needs nothing more: ECR decrypts layers through its own grant on the repository's
    KMS key, so the puller needs no key permission (docs/adr/0046).
    """
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PromotionPull",
                    "Effect": "Allow",
                    "Principal": {"AWS": puller_arn},
                    "Action": list(PULL_ACTIONS),
                }
            ],
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
        puller = args.settings.image_puller_arn
        if puller is not None:
            aws.ecr.RepositoryPolicy(
                f"{name}-promotion-pull",
                repository=self.repository.name,
                policy=pull_policy(puller),
                opts=child,
            )
        self.register_outputs(
            {"repositoryUrl": self.repository.repository_url, "repositoryArn": self.repository.arn}
        )
