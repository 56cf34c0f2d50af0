"""The bucket the load balancer writes its access logs to (Security Hub ELB.5)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from cloudmetrics_shared.secure_bucket import SecureBucket, SecureBucketArgs

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
        # Bucket names are global: the account id keeps ours from colliding.
        bucket_name = f"{settings.name_prefix}-alb-logs-{settings.account_id}"
        # The regional Elastic Load Balancing account writes the logs.
        elb_account = aws.elb.get_service_account_output(
            opts=pulumi.InvokeOutputOptions(parent=self)
        )
        delivery = elb_account.arn.apply(
            lambda elb_account_arn: [
                {
                    "Sid": "LoadBalancerLogDelivery",
                    "Effect": "Allow",
                    "Principal": {"AWS": elb_account_arn},
                    "Action": ["s3:PutObject"],
                    "Resource": [
                        f"arn:aws:s3:::{bucket_name}/{LOG_PREFIX}/AWSLogs/{settings.account_id}/*"
                    ],
                }
            ]
        )
        logs = SecureBucket(
            name,
            SecureBucketArgs(
                bucket_name=bucket_name,
                sse_algorithm="AES256",
                lifecycle_rules=[
                    {
                        "id": "expire-access-logs",
                        "status": "Enabled",
                        "filter": {"prefix": f"{LOG_PREFIX}/"},
                        "expiration": {"days": ACCESS_LOG_DAYS},
                    }
                ],
                grants=delivery,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        self.bucket = logs.bucket
        self.ready = [logs.policy]
        self.register_outputs({"bucketName": self.bucket.bucket})
