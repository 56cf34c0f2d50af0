"""Security Hub FSBP controls for the data stores (ElastiCache, RDS, S3), by control id."""

from __future__ import annotations

from typing import Any

from tests.infra.mock_cloud import Snapshot


def rds(stack: Snapshot) -> dict[str, Any]:
    return dict(stack.one("aws:rds/instance:Instance").inputs)


def redis(stack: Snapshot) -> dict[str, Any]:
    return dict(stack.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs)


# --- ElastiCache -------------------------------------------------------------------------


def test_elasticache_1_automatic_backups_are_enabled(stack: Snapshot) -> None:
    assert redis(stack)["snapshotRetentionLimit"] >= 1


def test_elasticache_2_minor_versions_upgrade_automatically(stack: Snapshot) -> None:
    assert redis(stack)["autoMinorVersionUpgrade"] is True


def test_elasticache_3_automatic_failover_is_enabled(stack: Snapshot) -> None:
    assert redis(stack)["automaticFailoverEnabled"] is True


def test_elasticache_4_encrypted_at_rest(stack: Snapshot) -> None:
    assert redis(stack)["atRestEncryptionEnabled"] is True


def test_elasticache_5_encrypted_in_transit(stack: Snapshot) -> None:
    assert redis(stack)["transitEncryptionEnabled"] is True
    assert redis(stack)["transitEncryptionMode"] == "required"


def test_elasticache_7_does_not_use_the_default_subnet_group(stack: Snapshot) -> None:
    group = stack.one("aws:elasticache/subnetGroup:SubnetGroup").inputs["name"]
    assert redis(stack)["subnetGroupName"] == group
    assert group != "default"


# --- RDS ---------------------------------------------------------------------------------


def test_rds_2_instance_is_not_publicly_accessible(stack: Snapshot) -> None:
    assert rds(stack)["publiclyAccessible"] is False


def test_rds_3_storage_is_encrypted(stack: Snapshot) -> None:
    assert rds(stack)["storageEncrypted"] is True


def test_rds_5_instance_is_multi_az(stack: Snapshot) -> None:
    assert rds(stack)["multiAz"] is True


def test_rds_6_enhanced_monitoring_is_configured(stack: Snapshot) -> None:
    instance = rds(stack)
    assert instance["monitoringInterval"] > 0
    assert instance["monitoringRoleArn"] == stack.named("database-monitoring-role").state["arn"]


def test_rds_8_prod_instance_has_deletion_protection(stacks: dict[str, Snapshot]) -> None:
    assert rds(stacks["prod"])["deletionProtection"] is True


def test_rds_9_logs_are_published_to_cloudwatch(stack: Snapshot) -> None:
    assert "postgresql" in rds(stack)["enabledCloudwatchLogsExports"]


def test_rds_10_iam_authentication_is_enabled(stack: Snapshot) -> None:
    assert rds(stack)["iamDatabaseAuthenticationEnabled"] is True


def test_rds_11_automatic_backups_are_enabled(stack: Snapshot) -> None:
    assert rds(stack)["backupRetentionPeriod"] >= 7


def test_rds_13_minor_versions_upgrade_automatically(stack: Snapshot) -> None:
    assert rds(stack)["autoMinorVersionUpgrade"] is True


def test_rds_17_snapshots_copy_tags(stack: Snapshot) -> None:
    assert rds(stack)["copyTagsToSnapshot"] is True


def test_rds_25_administrator_name_is_not_the_default(stack: Snapshot) -> None:
    assert rds(stack)["username"] not in {"postgres", "admin", "root"}


# --- S3 (the load balancer's log bucket) ---------------------------------------------------


def test_s3_5_log_bucket_requires_tls(stack: Snapshot) -> None:
    policy = stack.one("aws:s3/bucketPolicy:BucketPolicy").json("policy")
    (deny,) = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Action"] == "s3:*"
    assert deny["Principal"] == "*"


def test_s3_8_log_bucket_blocks_public_access(stack: Snapshot) -> None:
    block = stack.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    for setting in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        assert block[setting] is True
