"""AWS Security Hub Foundational Security Best Practices controls that apply to this estate.

One test per control, named by its id. Controls deliberately not met, and why:
- RDS.23 (no default database port): the project contract fixes PostgreSQL on 5432; the
  port is reachable only from the service's security group.
- ELB.6 / RDS.8 (deletion protection): on in prod, configurable per stack so dev and staging can
  be torn down; the tests assert prod and that the others follow their stack file.
- ELB.16 (WAF on the ALB): not in scope of this issue.
"""

from __future__ import annotations

from typing import Any

from tests.infra.mock_cloud import Snapshot
from tests.infra.reading import (
    EGRESS,
    INGRESS,
    allow_statements,
    as_list,
    migration_container,
    ports,
    web_container,
)

# The ports control EC2.19 treats as high risk.
HIGH_RISK_PORTS = {
    *(20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333),
    *(5000, 5432, 5500, 5601, 8080, 8088, 8888, 9200, 9300),
}
WORLD = {"0.0.0.0/0", "::/0"}


def world_ingress(stack: Snapshot) -> list[tuple[int, int]]:
    return [
        ports(rule)
        for rule in stack.of_type(INGRESS)
        if {rule.inputs.get("cidrIpv4"), rule.inputs.get("cidrIpv6")} & WORLD
    ]


def rds(stack: Snapshot) -> dict[str, Any]:
    return dict(stack.one("aws:rds/instance:Instance").inputs)


def redis(stack: Snapshot) -> dict[str, Any]:
    return dict(stack.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs)


def task_containers(stack: Snapshot) -> list[dict[str, Any]]:
    return [web_container(stack), migration_container(stack)]


# --- ACM ---------------------------------------------------------------------------------


def test_acm_1_certificate_renews_itself_through_dns_validation(stack: Snapshot) -> None:
    certificate = stack.one("aws:acm/certificate:Certificate")
    assert certificate.inputs["validationMethod"] == "DNS"
    record = stack.named("entrance-certificate-validation-record").inputs
    option = certificate.state["domainValidationOptions"][0]
    assert record["name"] == option["resourceRecordName"]


def test_acm_2_certificate_key_is_rsa_2048_or_stronger(stack: Snapshot) -> None:
    algorithm = stack.one("aws:acm/certificate:Certificate").inputs["keyAlgorithm"]
    assert algorithm in {"RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1"}


# --- EC2 ---------------------------------------------------------------------------------


def test_ec2_2_default_security_group_allows_nothing(stack: Snapshot) -> None:
    default = stack.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup").inputs
    assert default["vpcId"] == stack.one("aws:ec2/vpc:Vpc").id
    assert not default.get("ingress")
    assert not default.get("egress")


def test_ec2_6_vpc_flow_logging_is_enabled(stack: Snapshot) -> None:
    flow_log = stack.one("aws:ec2/flowLog:FlowLog").inputs
    assert flow_log["vpcId"] == stack.one("aws:ec2/vpc:Vpc").id
    assert flow_log["trafficType"] == "ALL"
    group = stack.named("network-flow-logs")
    assert flow_log["logDestination"] == group.state["arn"]
    assert group.inputs["retentionInDays"] > 0


def test_ec2_15_subnets_do_not_assign_public_addresses(stack: Snapshot) -> None:
    for subnet in stack.of_type("aws:ec2/subnet:Subnet"):
        assert subnet.inputs["mapPublicIpOnLaunch"] is False, subnet.name


def test_ec2_18_unrestricted_ingress_only_on_authorized_ports(stack: Snapshot) -> None:
    assert set(world_ingress(stack)) <= {(80, 80), (443, 443)}


def test_ec2_19_no_unrestricted_access_to_high_risk_ports(stack: Snapshot) -> None:
    for low, high in world_ingress(stack):
        assert not any(low <= port <= high for port in HIGH_RISK_PORTS)


def test_ec2_21_network_acls_refuse_remote_administration_from_anywhere(stack: Snapshot) -> None:
    acl = stack.one("aws:ec2/defaultNetworkAcl:DefaultNetworkAcl").inputs
    assert acl["defaultNetworkAclId"] == stack.one("aws:ec2/vpc:Vpc").state["defaultNetworkAclId"]
    assert len(acl["subnetIds"]) == len(stack.of_type("aws:ec2/subnet:Subnet"))
    rules = sorted(acl["ingress"], key=lambda rule: rule["ruleNo"])
    for port in (22, 3389):
        # NACL rules apply in rule-number order: the first match decides.
        first = next(
            r for r in rules if r["protocol"] == "-1" or r["fromPort"] <= port <= r["toPort"]
        )
        assert first["action"] == "deny", port


def test_ec2_53_no_ingress_from_anywhere_to_remote_administration_ports(stack: Snapshot) -> None:
    for low, high in world_ingress(stack):
        assert not low <= 22 <= high
        assert not low <= 3389 <= high


def test_ec2_54_no_ipv6_ingress_from_anywhere_to_remote_administration_ports(
    stack: Snapshot,
) -> None:
    for rule in [*stack.of_type(INGRESS), *stack.of_type(EGRESS)]:
        assert rule.inputs.get("cidrIpv6") is None, rule.name


# --- ECR ---------------------------------------------------------------------------------


def test_ecr_1_images_are_scanned_on_push(stack: Snapshot) -> None:
    repository = stack.one("aws:ecr/repository:Repository").inputs
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}


def test_ecr_2_tags_are_immutable(stack: Snapshot) -> None:
    assert stack.one("aws:ecr/repository:Repository").inputs["imageTagMutability"] == "IMMUTABLE"


def test_ecr_3_repository_has_a_lifecycle_policy(stack: Snapshot) -> None:
    policy = stack.one("aws:ecr/lifecyclePolicy:LifecyclePolicy")
    assert policy.inputs["repository"] == stack.one("aws:ecr/repository:Repository").inputs["name"]
    assert all(rule["action"]["type"] == "expire" for rule in policy.json("policy")["rules"])


# --- ECS ---------------------------------------------------------------------------------


def test_ecs_2_services_get_no_public_addresses(stack: Snapshot) -> None:
    network = stack.one("aws:ecs/service:Service").inputs["networkConfiguration"]
    assert network["assignPublicIp"] is False


def test_ecs_3_tasks_do_not_share_the_hosts_process_namespace(stack: Snapshot) -> None:
    for task in stack.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        assert task.inputs.get("pidMode") != "host"


def test_ecs_4_containers_are_not_privileged(stack: Snapshot) -> None:
    assert all(container["privileged"] is False for container in task_containers(stack))


def test_ecs_5_containers_have_read_only_root_filesystems(stack: Snapshot) -> None:
    assert all(container["readonlyRootFilesystem"] is True for container in task_containers(stack))


def test_ecs_8_no_credentials_in_container_environment(stack: Snapshot) -> None:
    forbidden = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ECS_ENGINE_AUTH_DATA"}
    for container in task_containers(stack):
        assert not forbidden & {entry["name"] for entry in container["environment"]}


def test_ecs_9_task_definitions_have_a_logging_configuration(stack: Snapshot) -> None:
    for container in task_containers(stack):
        assert container["logConfiguration"]["logDriver"] == "awslogs"


def test_ecs_10_fargate_services_run_the_latest_platform(stack: Snapshot) -> None:
    service = stack.one("aws:ecs/service:Service").inputs
    assert service["launchType"] == "FARGATE"
    assert service["platformVersion"] == "LATEST"


def test_ecs_12_clusters_use_container_insights(stack: Snapshot) -> None:
    settings = stack.one("aws:ecs/cluster:Cluster").inputs["settings"]
    assert {"name": "containerInsights", "value": "enabled"} in settings


def test_ecs_17_task_definitions_do_not_use_host_networking(stack: Snapshot) -> None:
    for task in stack.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        assert task.inputs["networkMode"] == "awsvpc"


def test_ecs_20_containers_run_as_a_non_root_user(stack: Snapshot) -> None:
    for container in task_containers(stack):
        user = container["user"].split(":")[0]
        assert user not in {"", "0", "root"}


# --- Elastic Load Balancing ----------------------------------------------------------------


def test_elb_1_http_redirects_to_https(stack: Snapshot) -> None:
    for listener in stack.of_type("aws:lb/listener:Listener"):
        if listener.inputs["protocol"] == "HTTP":
            (action,) = listener.inputs["defaultActions"]
            assert action["type"] == "redirect"
            assert action["redirect"]["protocol"] == "HTTPS"


def test_elb_4_invalid_headers_are_dropped(stack: Snapshot) -> None:
    assert stack.one("aws:lb/loadBalancer:LoadBalancer").inputs["dropInvalidHeaderFields"] is True


def test_elb_5_access_logging_is_enabled(stack: Snapshot) -> None:
    logs = stack.one("aws:lb/loadBalancer:LoadBalancer").inputs["accessLogs"]
    assert logs["enabled"] is True
    assert logs["bucket"] == stack.named("entrance-access-logs-bucket").inputs["bucket"]


def test_elb_6_prod_load_balancer_has_deletion_protection(stacks: dict[str, Snapshot]) -> None:
    prod = stacks["prod"].one("aws:lb/loadBalancer:LoadBalancer").inputs
    assert prod["enableDeletionProtection"] is True


def test_elb_12_desync_mitigation_is_defensive_or_strictest(stack: Snapshot) -> None:
    mode = stack.one("aws:lb/loadBalancer:LoadBalancer").inputs["desyncMitigationMode"]
    assert mode in {"defensive", "strictest"}


def test_elb_13_load_balancer_spans_multiple_zones(stack: Snapshot) -> None:
    subnets = stack.one("aws:lb/loadBalancer:LoadBalancer").inputs["subnets"]
    zones = {stack.by_id(subnet).inputs["availabilityZone"] for subnet in subnets}
    assert len(zones) >= 2


def test_elb_17_https_listener_uses_a_recommended_tls_policy(stack: Snapshot) -> None:
    for listener in stack.of_type("aws:lb/listener:Listener"):
        if listener.inputs["protocol"] == "HTTPS":
            assert listener.inputs["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"


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


# --- IAM ---------------------------------------------------------------------------------


def test_iam_1_no_policy_grants_full_administrative_privileges(stack: Snapshot) -> None:
    for resource, statement in allow_statements(stack):
        full = "*" in as_list(statement["Action"]) and "*" in as_list(statement["Resource"])
        assert not full, resource.name


def test_iam_21_no_policy_grants_wildcard_service_actions(stack: Snapshot) -> None:
    for resource, statement in allow_statements(stack):
        assert all("*" not in action for action in as_list(statement["Action"])), resource.name
        assert "NotAction" not in statement, resource.name


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
