"""PostgreSQL 16 and Redis 7 as docs/infrastructure.md describes them."""

from __future__ import annotations

from tests.infra.mock_cloud import Snapshot


def test_database_is_postgresql_16_with_its_own_parameter_group(stack: Snapshot) -> None:
    instance = stack.one("aws:rds/instance:Instance").inputs
    parameters = stack.one("aws:rds/parameterGroup:ParameterGroup").inputs
    assert instance["engine"] == "postgres"
    assert instance["engineVersion"].split(".")[0] == "16"
    assert parameters["family"] == "postgres16"
    assert instance["parameterGroupName"] == parameters["name"]


def test_database_keeps_seven_days_of_backups(stack: Snapshot) -> None:
    assert stack.one("aws:rds/instance:Instance").inputs["backupRetentionPeriod"] == 7


def test_database_refuses_unencrypted_connections(stack: Snapshot) -> None:
    parameters = stack.one("aws:rds/parameterGroup:ParameterGroup").inputs["parameters"]
    assert {"name": "rds.force_ssl", "value": "1"} in [
        {"name": p["name"], "value": p["value"]} for p in parameters
    ]


def test_prod_database_cannot_be_deleted_and_others_follow_their_config(
    stacks: dict[str, Snapshot],
) -> None:
    assert stacks["prod"].one("aws:rds/instance:Instance").inputs["deletionProtection"] is True
    for stack in stacks.values():
        instance = stack.one("aws:rds/instance:Instance").inputs
        assert instance["skipFinalSnapshot"] is False
        assert instance["finalSnapshotIdentifier"] == f"cloudmetrics-{stack.environment}-final"


def test_cache_is_redis_7_in_cluster_mode_with_three_shards(stack: Snapshot) -> None:
    cache = stack.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs
    assert cache["engine"] == "redis"
    assert cache["engineVersion"].split(".")[0] == "7"
    assert cache["clusterMode"] == "enabled"
    assert cache["parameterGroupName"].endswith("cluster.on")
    assert cache["numNodeGroups"] == 3
    assert cache["replicasPerNodeGroup"] >= 1
    assert cache["multiAzEnabled"] is True
