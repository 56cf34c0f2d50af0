"""The web service: health checks on the agreed paths, safe rollouts, autoscaling, logs."""

from __future__ import annotations

from tests.infra.mock_cloud import Snapshot
from tests.infra.snapshot_views import (
    configuration,
    database_login,
    injected,
    migration_container,
    role_secret,
    roles_container,
    web_container,
)


def test_target_group_checks_readiness(stack: Snapshot) -> None:
    group = stack.one("aws:lb/targetGroup:TargetGroup").inputs
    assert group["healthCheck"]["path"] == "/ready"
    assert group["healthCheck"]["matcher"] == "200"
    assert group["targetType"] == "ip"
    assert group["port"] == 8000


def test_container_checks_liveness_with_the_cli(stack: Snapshot) -> None:
    check = web_container(stack)["healthCheck"]
    assert check["command"] == ["CMD", "cloudmetrics", "healthcheck"]


def test_service_serves_through_the_target_group(stack: Snapshot) -> None:
    service = stack.one("aws:ecs/service:Service").inputs
    (attachment,) = service["loadBalancers"]
    assert attachment["targetGroupArn"] == stack.one("aws:lb/targetGroup:TargetGroup").state["arn"]
    assert attachment["containerPort"] == 8000
    assert web_container(stack)["portMappings"] == [{"containerPort": 8000, "protocol": "tcp"}]
    assert web_container(stack)["command"] == ["cloudmetrics", "serve"]


def test_failed_deployments_roll_back(stack: Snapshot) -> None:
    service = stack.one("aws:ecs/service:Service").inputs
    assert service["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert service["waitForSteadyState"] is True
    assert service["deploymentMinimumHealthyPercent"] == 100


def test_service_scales_on_cpu_and_memory(stack: Snapshot) -> None:
    target = stack.one("aws:appautoscaling/target:Target")
    assert (
        target.inputs["resourceId"]
        == f"service/cloudmetrics-{stack.environment}/cloudmetrics-{stack.environment}-web"
    )
    assert target.inputs["minCapacity"] <= target.inputs["maxCapacity"]
    metrics = {
        policy.inputs["targetTrackingScalingPolicyConfiguration"]["predefinedMetricSpecification"][
            "predefinedMetricType"
        ]
        for policy in stack.of_type("aws:appautoscaling/policy:Policy")
        if policy.inputs["policyType"] == "TargetTrackingScaling"
        and policy.inputs["resourceId"] == target.inputs["resourceId"]
    }
    assert metrics == {"ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization"}


def test_desired_count_is_left_to_autoscaling_after_creation(stack: Snapshot) -> None:
    service = stack.one("aws:ecs/service:Service")
    target = stack.one("aws:appautoscaling/target:Target").inputs
    assert target["minCapacity"] <= service.inputs["desiredCount"] <= target["maxCapacity"]


def test_tasks_log_to_this_environments_log_group(stack: Snapshot) -> None:
    group = stack.named("cluster-logs").inputs
    assert group["name"] == f"/cloudmetrics-{stack.environment}/service"
    assert group["retentionInDays"] > 0
    for container in (web_container(stack), migration_container(stack)):
        options = container["logConfiguration"]["options"]
        assert options["awslogs-group"] == group["name"]


def test_migrations_run_as_a_one_off_task_with_the_services_image_and_settings(
    stack: Snapshot,
) -> None:
    web, migrate = web_container(stack), migration_container(stack)
    # A rollback redeploys older code onto the expanded schema: its migrate step is a no-op.
    assert migrate["command"] == ["cloudmetrics", "migrate", "up", "--allow-ahead"]
    assert migrate["image"] == web["image"]
    assert configuration(migrate) == configuration(web)
    # As the owner, after the roles step (as the master user) has succeeded (docs/adr/0058).
    assert set(injected(migrate)) - set(configuration(migrate)) == {"PGUSER", "PGPASSWORD"}
    assert database_login(migrate) == role_secret(stack, "owner")
    assert migrate["dependsOn"] == [{"containerName": "database-roles", "condition": "SUCCESS"}]
    assert migrate["essential"] is True
    roles = roles_container(stack)
    assert roles["command"] == ["cloudmetrics", "roles", "ensure"]
    assert roles["image"] == web["image"]
    assert roles["essential"] is False
    assert configuration(roles) == configuration(web)
    assert migrate["environment"] == web["environment"]
    assert "portMappings" not in migrate
    task = stack.named("migrations-task").inputs
    assert task["networkMode"] == "awsvpc"
    assert task["requiresCompatibilities"] == ["FARGATE"]
    # Nothing runs it continuously: no ECS service points at the migration task definition.
    migration_arn = stack.named("migrations-task").state["arn"]
    assert all(
        s.inputs["taskDefinition"] != migration_arn
        for s in stack.of_type("aws:ecs/service:Service")
    )


def test_run_task_outputs_match_the_services_network(stack: Snapshot) -> None:
    network = stack.one("aws:ecs/service:Service").inputs["networkConfiguration"]
    assert stack.outputs["privateSubnetIds"] == network["subnets"]
    assert [stack.outputs["serviceSecurityGroupId"]] == network["securityGroups"]
    assert stack.outputs["clusterName"] == stack.one("aws:ecs/cluster:Cluster").inputs["name"]
    assert stack.outputs["serviceName"] == stack.one("aws:ecs/service:Service").inputs["name"]
