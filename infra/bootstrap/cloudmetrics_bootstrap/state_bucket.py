"""The S3 bucket that holds Pulumi state for every cloudmetrics stack of this account.

Pulumi's DIY S3 backend writes one JSON checkpoint per stack and takes a lock by writing a lock
object under .pulumi/locks/, so no DynamoDB table is needed. Versioning keeps every earlier
checkpoint: a bad `pulumi up` or a hand-edited state can be rolled back by restoring a version.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from cloudmetrics_shared.secure_bucket import SecureBucket, SecureBucketArgs

# Old checkpoints are small but pile up with every update; a quarter of history is plenty.
NONCURRENT_VERSION_DAYS = 90


@dataclass(frozen=True)
class StateBucketArgs:
    bucket_name: str


class StateBucket(pulumi.ComponentResource):
    bucket: aws.s3.Bucket

    def __init__(
        self, name: str, args: StateBucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudmetrics:bootstrap:StateBucket", name, None, opts)
        state = SecureBucket(
            name,
            SecureBucketArgs(
                bucket_name=args.bucket_name,
                sse_algorithm="aws:kms",
                versioned=True,
                lifecycle_rules=[
                    {
                        "id": "expire-old-checkpoints",
                        "status": "Enabled",
                        "filter": {"prefix": ""},
                        "noncurrent_version_expiration": {
                            "noncurrent_days": NONCURRENT_VERSION_DAYS
                        },
                        "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
                    }
                ],
                # Losing the state bucket orphans every resource of every stack in the account.
                protect=True,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        self.bucket = state.bucket
        self.register_outputs({"bucketName": self.bucket.bucket, "bucketArn": self.bucket.arn})
