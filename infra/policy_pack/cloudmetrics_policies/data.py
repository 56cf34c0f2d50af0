"""Security Hub FSBP controls of the data stores and their keys: ElastiCache, RDS, S3, SNS, KMS."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs

from cloudmetrics_policies.building import fsbp, resource_policy, stack_policy
from cloudmetrics_policies.reading import (
    depends_through,
    has,
    items,
    of_type,
    stack_of,
    statements,
)

REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
DB_INSTANCE = "aws:rds/instance:Instance"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
TOPIC = "aws:sns/topic:Topic"
KEY = "aws:kms/key:Key"
DEFAULT_ADMIN_NAMES = {"postgres", "admin", "root", "administrator"}
BLOCK_SETTINGS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)


def _enabled(args: ResourceValidationArgs, key: str, message: str) -> Iterator[str]:
    if args.props.get(key) is not True:
        yield message


def elasticache_1(args: ResourceValidationArgs) -> Iterator[str]:
    if int(args.props.get("snapshotRetentionLimit") or 0) < 1:
        yield "Redis must keep automatic backups"


def elasticache_5(args: ResourceValidationArgs) -> Iterator[str]:
    if (
        args.props.get("transitEncryptionEnabled") is not True
        or args.props.get("transitEncryptionMode", "required") != "required"
    ):
        yield "Redis must require TLS in transit"


def elasticache_6(args: ResourceValidationArgs) -> Iterator[str]:
    # Checked before reading either value: a preview does not know a generated token yet.
    if not has(args.props, "authToken") and not items(args.props.get("userGroupIds")):
        yield "Redis must require AUTH (an auth token or RBAC user groups)"


def elasticache_7(args: ResourceValidationArgs) -> Iterator[str]:
    if args.props.get("subnetGroupName") in (None, "default"):
        yield "Redis must use its own subnet group, not the default one"


def rds_2(args: ResourceValidationArgs) -> Iterator[str]:
    if args.props.get("publiclyAccessible") is True:
        yield "database must not be publicly accessible"


def rds_6(args: ResourceValidationArgs) -> Iterator[str]:
    if int(args.props.get("monitoringInterval") or 0) <= 0:
        yield "RDS enhanced monitoring must be on"


def rds_8(args: ResourceValidationArgs) -> Iterator[str]:
    if stack_of(args.urn) == "prod" and args.props.get("deletionProtection") is not True:
        yield "the prod database must have deletion protection"


def rds_9(args: ResourceValidationArgs) -> Iterator[str]:
    if "postgresql" not in items(args.props.get("enabledCloudwatchLogsExports")):
        yield "PostgreSQL logs must be published to CloudWatch Logs"


def rds_11(args: ResourceValidationArgs) -> Iterator[str]:
    if int(args.props.get("backupRetentionPeriod") or 0) < 7:
        yield "RDS must keep at least 7 days of automated backups"


def rds_25(args: ResourceValidationArgs) -> Iterator[str]:
    if str(args.props.get("username", "")).lower() in DEFAULT_ADMIN_NAMES:
        yield "the database administrator must not have a default name"


def s3_5(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    tls_only = {
        bucket.urn
        for policy in of_type(args.resources, BUCKET_POLICY)
        if any(
            s.get("Effect") == "Deny"
            and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
            for s in statements(policy.props.get("policy"))
        )
        for bucket in depends_through(policy, "bucket")
    }
    for bucket in of_type(args.resources, BUCKET):
        if bucket.urn not in tls_only:
            yield "bucket policy must deny requests without TLS", bucket.urn


def s3_8(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    blocked = {
        bucket.urn
        for block in of_type(args.resources, PUBLIC_ACCESS_BLOCK)
        if all(block.props.get(setting) is True for setting in BLOCK_SETTINGS)
        for bucket in depends_through(block, "bucket")
    }
    for bucket in of_type(args.resources, BUCKET):
        if bucket.urn not in blocked:
            yield "bucket must block every kind of public access", bucket.urn


def sns_1(args: ResourceValidationArgs) -> Iterator[str]:
    if not args.props.get("kmsMasterKeyId"):
        yield "SNS topic must be encrypted at rest with KMS"


def kms_4(args: ResourceValidationArgs) -> Iterator[str]:
    if args.props.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT" and (
        args.props.get("enableKeyRotation") is not True
    ):
        yield "symmetric KMS keys must rotate automatically"


def _flag(
    control: str, description: str, key: str, message: str, type_: str
) -> ResourceValidationPolicy:
    """A control that is one boolean property set to true."""
    return resource_policy(
        fsbp(control), description, [type_], lambda args: _enabled(args, key, message)
    )


POLICIES = [
    resource_policy(
        fsbp("ElastiCache.1"), "Redis keeps automatic backups", [REPLICATION_GROUP], elasticache_1
    ),
    _flag(
        "ElastiCache.2",
        "Redis upgrades minor versions automatically",
        "autoMinorVersionUpgrade",
        "Redis must upgrade minor versions automatically",
        REPLICATION_GROUP,
    ),
    _flag(
        "ElastiCache.3",
        "Redis fails over automatically",
        "automaticFailoverEnabled",
        "Redis must fail over automatically",
        REPLICATION_GROUP,
    ),
    _flag(
        "ElastiCache.4",
        "Redis is encrypted at rest",
        "atRestEncryptionEnabled",
        "Redis must be encrypted at rest",
        REPLICATION_GROUP,
    ),
    resource_policy(
        fsbp("ElastiCache.5"), "Redis requires TLS in transit", [REPLICATION_GROUP], elasticache_5
    ),
    resource_policy(
        fsbp("ElastiCache.6"), "Redis requires AUTH", [REPLICATION_GROUP], elasticache_6
    ),
    resource_policy(
        fsbp("ElastiCache.7"), "Redis uses its own subnet group", [REPLICATION_GROUP], elasticache_7
    ),
    resource_policy(fsbp("RDS.2"), "Databases are not publicly accessible", [DB_INSTANCE], rds_2),
    _flag(
        "RDS.3",
        "Database storage is encrypted",
        "storageEncrypted",
        "database storage must be encrypted",
        DB_INSTANCE,
    ),
    _flag("RDS.5", "Databases are Multi-AZ", "multiAz", "database must be Multi-AZ", DB_INSTANCE),
    resource_policy(fsbp("RDS.6"), "Enhanced monitoring is on", [DB_INSTANCE], rds_6),
    resource_policy(
        fsbp("RDS.8"), "The prod database has deletion protection", [DB_INSTANCE], rds_8
    ),
    resource_policy(fsbp("RDS.9"), "Database logs go to CloudWatch", [DB_INSTANCE], rds_9),
    _flag(
        "RDS.10",
        "IAM database authentication is enabled",
        "iamDatabaseAuthenticationEnabled",
        "IAM database authentication must be enabled",
        DB_INSTANCE,
    ),
    resource_policy(fsbp("RDS.11"), "Seven days of automated backups", [DB_INSTANCE], rds_11),
    _flag(
        "RDS.13",
        "Databases upgrade minor versions automatically",
        "autoMinorVersionUpgrade",
        "database must upgrade minor versions automatically",
        DB_INSTANCE,
    ),
    _flag(
        "RDS.17",
        "Snapshots copy the instance's tags",
        "copyTagsToSnapshot",
        "database snapshots must copy its tags",
        DB_INSTANCE,
    ),
    resource_policy(fsbp("RDS.25"), "Administrator has a custom name", [DB_INSTANCE], rds_25),
    stack_policy(fsbp("S3.5"), "Buckets accept TLS requests only", s3_5),
    stack_policy(fsbp("S3.8"), "Buckets block public access", s3_8),
    resource_policy(fsbp("SNS.1"), "Topics are encrypted with KMS", [TOPIC], sns_1),
    resource_policy(fsbp("KMS.4"), "KMS keys rotate", [KEY], kms_4),
]
