"""The bucket the load balancer writes its access logs to (Security Hub ELB.5)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from cloudmetrics_infra.policies import deny_insecure_transport, document
from cloudmetrics_infra.settings import StackSettings

ACCESS_LOG_DAYS = 90
LOG_PREFIX = "alb"


@dataclass(frozen=True)
class AccessLogsArgs:
    settings: StackSettings


class AccessLogs(pulumi.ComponentResource):
    bucket: aws.s3.Bucket
    ready: list[pulumi.Resource]
    """Resources the load balancer must wait for: ELB checks the bucket policy on create."""

    def __init__(
        self, name: str, args: AccessLogsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudmetrics:infra:AccessLogs", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)

        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            # Bucket names are global: the account id keeps ours from colliding.
            bucket=f"{settings.name_prefix}-alb-logs-{settings.account_id}",
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=self.bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        # Load balancer log delivery supports only SSE-S3 (AES256), not KMS keys.
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=self.bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.bucket.id,
            rules=[
                {
                    "id": "expire-access-logs",
                    "status": "Enabled",
                    "filter": {"prefix": f"{LOG_PREFIX}/"},
                    "expiration": {"days": ACCESS_LOG_DAYS},
                }
            ],
            opts=child,
        )
        # The regional Elastic Load Balancing account writes the logs.
        elb_account = aws.elb.get_service_account_output(
            opts=pulumi.InvokeOutputOptions(parent=self)
        )
        policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=self.bucket.id,
            policy=pulumi.Output.all(self.bucket.arn, elb_account.arn).apply(
                lambda values: document(
                    [
                        {
                            "Sid": "LoadBalancerLogDelivery",
                            "Effect": "Allow",
                            "Principal": {"AWS": values[1]},
                            "Action": ["s3:PutObject"],
                            "Resource": [
                                f"{values[0]}/{LOG_PREFIX}/AWSLogs/{settings.account_id}/*"
                            ],
                        },
                        deny_insecure_transport(values[0]),
                    ]
                )
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )
        self.ready = [policy]
        self.register_outputs({"bucketName": self.bucket.bucket})
