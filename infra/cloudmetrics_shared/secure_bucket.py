"""An S3 bucket the way every bucket of ours is made: private, encrypted, TLS-only, expiring.

Both programs need one (the load balancer's access logs, the Pulumi state), and Security Hub's S3
controls apply to both alike: S3.5 (TLS only), S3.8 (public access blocked), ownership enforced
(no ACLs), default encryption, and a lifecycle so nothing grows forever.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from cloudmetrics_shared.iam import Statement, deny_insecure_transport, document


@dataclass(frozen=True)
class SecureBucketArgs:
    bucket_name: str
    """Physical name; names are global, so callers put the account id in it."""
    sse_algorithm: Literal["AES256", "aws:kms"]
    """Default encryption. Load balancer log delivery accepts only AES256 (SSE-S3)."""
    lifecycle_rules: Sequence[aws.s3.BucketLifecycleConfigurationRuleArgsDict]
    versioned: bool = False
    grants: pulumi.Input[Sequence[Statement]] = field(default_factory=lambda: [])
    """Statements of the bucket policy besides the TLS-only deny (e.g. a log-delivery grant)."""
    protect: bool = False
    """Refuse to delete the bucket itself (Pulumi's `protect`)."""

    @property
    def arn(self) -> str:
        return f"arn:aws:s3:::{self.bucket_name}"


class SecureBucket(pulumi.ComponentResource):
    bucket: aws.s3.Bucket
    policy: aws.s3.BucketPolicy
    """Last resource made; services that check the policy on create (ELB) wait for it."""

    def __init__(
        self, name: str, args: SecureBucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudmetrics:shared:SecureBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=args.bucket_name,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        if args.versioned:
            aws.s3.BucketVersioning(
                f"{name}-versioning",
                bucket=self.bucket.id,
                versioning_configuration={"status": "Enabled"},
                opts=child,
            )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=self.bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": args.sse_algorithm
                    },
                    "bucket_key_enabled": args.sse_algorithm == "aws:kms",
                }
            ],
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
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=self.bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle", bucket=self.bucket.id, rules=list(args.lifecycle_rules), opts=child
        )
        self.policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=self.bucket.id,
            policy=pulumi.Output.from_input(args.grants).apply(
                lambda grants: document([*grants, deny_insecure_transport(args.arn)])
            ),
            # S3 refuses a policy while the public access block is still being applied.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )
        self.register_outputs({"bucketName": self.bucket.bucket, "bucketArn": self.bucket.arn})
